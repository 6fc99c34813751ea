import type { EventStore, RecordedEvent } from '../ports/eventStore';
import type { Logger } from '../ports/logger';

/**
 * A follower of the event store's global order. It loads its consumer's checkpoint, reads batches
 * after it, hands each batch to the consumer, and waits for more when caught up. The consumer
 * stores its own checkpoint: a projection in the same transaction as its rows, anything else
 * through a CheckpointStore (see checkpointedConsumer.ts).
 *
 * A batch that cannot be read (an EventDecodingError) or handled stops the subscription visibly:
 * status `failed` with the error, logged, checkpoint left before the batch. Skipping the event
 * would silently lose it; retrying forever would hide the problem behind a healthy-looking loop.
 */
export type SubscriptionStatus = Readonly<
  | { state: 'running'; position: number }
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
}>;

export interface CatchUpSubscription {
  readonly name: string;
  status(): SubscriptionStatus;
  /** Resolves once everything up to `position` is handled, or the subscription is no longer running. */
  waitForPosition(position: number, timeoutMs: number): Promise<SubscriptionStatus>;
  /** Takes no further batch and waits for the current one to finish. */
  stop(): Promise<void>;
}

export function startCatchUpSubscription(options: CatchUpSubscriptionOptions): CatchUpSubscription {
  const { name, store, consumer } = options;
  const batchSize = options.batchSize ?? 500;
  const idleWaitMs = options.idleWaitMs ?? 1000;
  const logger = options.logger.child({ subscription: name });

  let status: SubscriptionStatus = { state: 'running', position: 0 };
  let stopRequested = false;
  let wakeIdleWait: () => void = () => undefined;
  const progressListeners = new Set<() => void>();
  const setStatus = (next: SubscriptionStatus) => {
    status = next;
    for (const listener of progressListeners) listener();
  };

  const idle = (position: number) =>
    new Promise<void>((resolve) => {
      if (stopRequested) return resolve();
      wakeIdleWait = resolve;
      store.waitForEvents(position, idleWaitMs).then(resolve, resolve);
    });

  const follow = async () => {
    let position = await consumer.loadCheckpoint();
    setStatus({ state: 'running', position });
    logger.info({ position }, 'subscription started');
    while (!stopRequested) {
      const events = await store.readAll({ after: position, maxCount: batchSize });
      if (events.length === 0) {
        await idle(position);
        continue;
      }
      await consumer.handleBatch(events);
      position = events[events.length - 1]!.position;
      setStatus({ state: 'running', position });
    }
    setStatus({ state: 'stopped', position });
    logger.info({ position }, 'subscription stopped');
  };

  const loop = follow().catch((error: unknown) => {
    const failure = error instanceof Error ? error : new Error(String(error));
    setStatus({ state: 'failed', position: status.position, error: failure });
    logger.error(
      { err: failure, position: status.position },
      `subscription ${name} stopped on an error and will not continue until restarted: ${failure.message}`,
    );
  });

  return {
    name,
    status: () => status,
    waitForPosition: (position, timeoutMs) =>
      new Promise((resolve) => {
        const check = () => {
          if (status.state === 'running' && status.position < position) return;
          finish();
        };
        const finish = () => {
          clearTimeout(timer);
          progressListeners.delete(check);
          resolve(status);
        };
        const timer = setTimeout(finish, timeoutMs);
        progressListeners.add(check);
        check();
      }),
    stop: async () => {
      stopRequested = true;
      wakeIdleWait();
      await loop;
    },
  };
}
