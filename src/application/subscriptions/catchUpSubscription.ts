import { EventDecodingError } from '../errors';
import { asError, followerStatus } from './followerStatus';
import type { EventStore, RecordedEvent } from '../ports/eventStore';
import type { Logger } from '../ports/logger';

/**
 * A follower of the event store's global order. It loads its consumer's checkpoint, reads batches
 * after it, hands each batch to the consumer, and waits for more when caught up. The consumer
 * stores its own checkpoint: a projection in the same transaction as its rows, anything else
 * through a CheckpointStore (see checkpointedConsumer.ts).
 *
 * A transient failure — the database or the queue down, a connection lost — never stops it: status
 * `retrying` (named in /readyz, which then says the process is not making progress), and it tries
 * again with capped exponential backoff and jitter, for as long as it takes, from the last batch it
 * handled (consumers are idempotent per batch: a projection's rows and checkpoint commit together,
 * the reactor's appends and jobs have deterministic ids). Only a poison event — one that cannot be
 * read (EventDecodingError) — stops it for good: status `failed`, logged, checkpoint left before it.
 * Skipping the event would silently lose it; retrying it could only fail again.
 */
export type SubscriptionStatus = Readonly<
  | { state: 'running'; position: number }
  | { state: 'retrying'; position: number; error: Error; attempts: number }
  | { state: 'stopped'; position: number }
  | { state: 'failed'; position: number; error: Error }
>;

export type BatchConsumer = Readonly<{
  /** The position handled so far (0 for none). */
  loadCheckpoint(): Promise<number>;
  /** Handles the events and stores the last one's position as the checkpoint. */
  handleBatch(events: readonly RecordedEvent[]): Promise<void>;
}>;

export type CatchUpSubscriptionOptions = Readonly<{
  name: string;
  store: EventStore;
  consumer: BatchConsumer;
  logger: Logger;
  batchSize?: number;
  /** How long to wait for new events before reading again; appends in this process wake it earlier. */
  idleWaitMs?: number;
  /** Backoff after a transient failure: `initialMs` doubling up to `maxMs`, with jitter (100 ms to 10 s). */
  retry?: Readonly<{ initialMs: number; maxMs: number }>;
}>;

export interface CatchUpSubscription {
  readonly name: string;
  status(): SubscriptionStatus;
  /** Resolves once everything up to `position` is handled, or the subscription has stopped or failed. */
  waitForPosition(position: number, timeoutMs: number): Promise<SubscriptionStatus>;
  /** Takes no further batch and waits for the current one to finish. */
  stop(): Promise<void>;
}

export function startCatchUpSubscription(options: CatchUpSubscriptionOptions): CatchUpSubscription {
  const { name, store, consumer } = options;
  const batchSize = options.batchSize ?? 500;
  const idleWaitMs = options.idleWaitMs ?? 1000;
  const logger = options.logger.child({ subscription: name });

  const status = followerStatus(name, logger);
  let stopRequested = false;
  let wakeIdleWait: () => void = () => undefined;

  const idle = (position: number) =>
    new Promise<void>((resolve) => {
      if (stopRequested) return resolve();
      wakeIdleWait = resolve;
      store.waitForEvents(position, idleWaitMs).then(resolve, resolve);
    });

  /** Waits out a backoff; a stop request cuts it short. */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      if (stopRequested) return resolve();
      const timer = setTimeout(resolve, ms);
      wakeIdleWait = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const backoff = (attempts: number) => retryDelayMs(attempts, options.retry);

  const follow = async () => {
    let position: number | undefined;
    let attempts = 0;
    while (!stopRequested) {
      try {
        if (position === undefined) {
          position = await consumer.loadCheckpoint();
          logger.info({ position }, 'subscription started');
        } else {
          const events = await store.readAll({ after: position, maxCount: batchSize });
          if (events.length > 0) {
            await consumer.handleBatch(events);
            position = events[events.length - 1]!.position;
          } else if (attempts === 0) {
            await idle(position);
            continue;
          }
        }
        if (attempts > 0)
          logger.info({ position, attempts }, `subscription ${name} goes on after ${attempts} failed attempts`);
        attempts = 0;
        status.set({ state: 'running', position });
      } catch (error) {
        if (error instanceof EventDecodingError) throw error;
        attempts++;
        const waitMs = backoff(attempts);
        status.retrying(asError(error), position ?? 0, attempts, waitMs);
        await pause(waitMs);
      }
    }
    status.set({ state: 'stopped', position: position ?? 0 });
    logger.info({ position }, 'subscription stopped');
  };

  const loop = follow().catch(status.failed);

  return {
    name,
    status: status.get,
    waitForPosition: status.waitForPosition,
    stop: async () => {
      stopRequested = true;
      wakeIdleWait();
      await loop;
    },
  };
}

const defaultRetry = { initialMs: 100, maxMs: 10_000 };

/** Capped exponential backoff with jitter: `initialMs` doubling up to `maxMs`, half of it random. */
export function retryDelayMs(attempts: number, retry: Readonly<{ initialMs: number; maxMs: number }> = defaultRetry) {
  const capped = Math.min(retry.maxMs, retry.initialMs * 2 ** Math.min(attempts - 1, 20));
  return capped / 2 + Math.random() * (capped / 2);
}
