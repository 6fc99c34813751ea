import { EventDecodingError } from '../errors';
import type { CheckpointStore } from '../ports/checkpointStore';
import type { EventStore, RecordedEvent } from '../ports/eventStore';
import type { Logger } from '../ports/logger';
import { startCatchUpSubscription, type BatchConsumer } from './catchUpSubscription';
import { checkpointedConsumer } from './checkpointedConsumer';

/** A log in memory: readAll and waitForEvents are all the subscription uses. */
function memoryLog() {
  const events: RecordedEvent[] = [];
  const waiters = new Set<() => void>();
  let failAt: { position: number; error: Error } | undefined;
  const store = {
    readAll: async ({ after, maxCount }) => {
      const batch = events.filter((event) => event.position > after).slice(0, maxCount);
      if (failAt && batch.some((event) => event.position >= failAt!.position)) throw failAt.error;
      return batch;
    },
    waitForEvents: (after, timeoutMs) =>
      new Promise<void>((resolve) => {
        if (events.some((event) => event.position > after)) return resolve();
        const wake = () => {
          clearTimeout(timer);
          waiters.delete(wake);
          resolve();
        };
        waiters.add(wake);
        const timer = setTimeout(wake, timeoutMs).unref();
      }),
  } as Pick<EventStore, 'readAll' | 'waitForEvents'> as EventStore;
  return {
    store,
    append(count: number) {
      for (let index = 0; index < count; index++) {
        const position = events.length * 10 + 10;
        events.push({
          position,
          stream: 's-1',
          revision: events.length,
          type: 'SagaCompleted',
        } as unknown as RecordedEvent);
      }
      for (const wake of [...waiters]) wake();
      return events[events.length - 1]!.position;
    },
    failReadingAt(position: number, error: Error) {
      failAt = { position, error };
    },
  };
}

function recordingLogger() {
  const errors: string[] = [];
  const logger: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: (_fields, message) => errors.push(message ?? ''),
    child: () => logger,
  };
  return { logger, errors };
}

function memoryCheckpoints(initial: Record<string, number> = {}): CheckpointStore & { stored: Record<string, number> } {
  const stored = { ...initial };
  return {
    stored,
    load: async (name) => stored[name] ?? 0,
    store: async (name, position) => void (stored[name] = position),
    storePartitions: async ({ follower, leases }, position) => {
      for (const { partition } of leases) stored[`${follower}/${partition}`] = position;
    },
  };
}

const positionsOf = (events: readonly RecordedEvent[]) => events.map((event) => event.position);

describe('catch-up subscription', () => {
  it('starts from the checkpoint, hands over batches in order and follows new appends', async () => {
    const log = memoryLog();
    log.append(5);
    const checkpoints = memoryCheckpoints({ reactor: 20 });
    const batches: number[][] = [];
    const subscription = startCatchUpSubscription({
      name: 'reactor',
      store: log.store,
      logger: recordingLogger().logger,
      batchSize: 2,
      idleWaitMs: 10_000,
      consumer: checkpointedConsumer('reactor', checkpoints, async (events) => void batches.push(positionsOf(events))),
    });

    await subscription.waitForPosition(50, 5_000);
    const last = log.append(2);
    const status = await subscription.waitForPosition(last, 5_000);
    await subscription.stop();

    expect(batches).toEqual([[30, 40], [50], [60, 70]]);
    expect(status).toEqual({ state: 'running', position: 70 });
    expect(subscription.status()).toEqual({ state: 'stopped', position: 70 });
    expect(checkpoints.stored.reactor).toBe(70);
  });

  it('never gives up on a failing batch: retrying (named, with the error), then on from that batch once it succeeds', async () => {
    const log = memoryLog();
    log.append(4);
    const checkpoints = memoryCheckpoints();
    const { logger, errors } = recordingLogger();
    let failures = 3;
    const handled: number[][] = [];
    const subscription = startCatchUpSubscription({
      name: 'reactor',
      store: log.store,
      logger,
      batchSize: 2,
      retry: { initialMs: 5, maxMs: 20 },
      consumer: checkpointedConsumer('reactor', checkpoints, async (events) => {
        if (events.some((event) => event.position === 30) && failures-- > 0) throw new Error('queue unreachable');
        handled.push(positionsOf(events));
      }),
    });

    const retrying = await new Promise((resolve) => {
      const poll = setInterval(() => {
        if (subscription.status().state !== 'retrying') return;
        clearInterval(poll);
        resolve(subscription.status());
      }, 1);
    });
    expect(retrying).toMatchObject({ state: 'retrying', position: 20, error: new Error('queue unreachable') });
    expect(checkpoints.stored.reactor).toBe(20);

    const status = await subscription.waitForPosition(40, 5_000);
    expect(status).toEqual({ state: 'running', position: 40 });
    expect(handled).toEqual([
      [10, 20],
      [30, 40],
    ]);
    expect(checkpoints.stored.reactor).toBe(40);
    expect(errors).toEqual([]);
    await subscription.stop();
  });

  it('stops visibly on an event it cannot decode, naming stream and position', async () => {
    const log = memoryLog();
    log.append(3);
    log.failReadingAt(30, new EventDecodingError({ stream: 's-1', position: 30 }, 'data is not valid JSON'));
    const { logger, errors } = recordingLogger();
    const handled: number[] = [];
    const subscription = startCatchUpSubscription({
      name: 'projection',
      store: log.store,
      logger,
      batchSize: 1,
      consumer: {
        loadCheckpoint: async () => 0,
        handleBatch: async (events) => void handled.push(...positionsOf(events)),
      },
    });

    const status = await subscription.waitForPosition(30, 5_000);

    expect(status.state).toBe('failed');
    expect(status.position).toBe(20);
    expect(handled).toEqual([10, 20]);
    expect(errors[0]).toContain('position 30 of stream s-1');
  });

  it('keeps trying to load its checkpoint while the database is away, then starts from it', async () => {
    const log = memoryLog();
    log.append(3);
    let away = 2;
    const subscription = startCatchUpSubscription({
      name: 'projection',
      store: log.store,
      logger: recordingLogger().logger,
      retry: { initialMs: 5, maxMs: 20 },
      consumer: {
        loadCheckpoint: () => (away-- > 0 ? Promise.reject(new Error('no database')) : Promise.resolve(10)),
        handleBatch: async () => undefined,
      },
    });

    expect(await subscription.waitForPosition(30, 5_000)).toEqual({ state: 'running', position: 30 });
    await subscription.stop();
  });

  it('waits for the batch in hand when stopped, then takes no other', async () => {
    const log = memoryLog();
    log.append(4);
    let release: () => void = () => undefined;
    const handled: number[] = [];
    const consumer: BatchConsumer = {
      loadCheckpoint: async () => 0,
      handleBatch: (events) =>
        new Promise((resolve) => {
          release = () => {
            handled.push(...positionsOf(events));
            resolve();
          };
        }),
    };
    const subscription = startCatchUpSubscription({
      name: 'p',
      store: log.store,
      logger: recordingLogger().logger,
      batchSize: 2,
      consumer,
    });
    await new Promise((resolve) => setTimeout(resolve, 20));

    let stopped = false;
    const stopping = subscription.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stopped).toBe(false);
    release();
    await stopping;

    expect(handled).toEqual([10, 20]);
    expect(subscription.status()).toEqual({ state: 'stopped', position: 20 });
  });

  it('stops promptly while idle, without waiting for the idle timeout', async () => {
    const subscription = startCatchUpSubscription({
      name: 'p',
      store: memoryLog().store,
      logger: recordingLogger().logger,
      idleWaitMs: 60_000,
      consumer: { loadCheckpoint: async () => 0, handleBatch: async () => undefined },
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const started = Date.now();

    await subscription.stop();

    expect(Date.now() - started).toBeLessThan(1_000);
    expect(subscription.status()).toEqual({ state: 'stopped', position: 0 });
  });
});
