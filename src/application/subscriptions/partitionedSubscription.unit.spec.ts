import type { OwnedPartitions, PartitionOwnership } from '../partitions/partitionOwnership';
import { sagaPartitionOf } from '../partitions/sagaPartitions';
import type { EventStore, RecordedEvent } from '../ports/eventStore';
import { silentLogger } from '../ports/logger';
import { LeaseLostError, type Lease } from '../ports/partitionLeases';
import { startPartitionedSubscription, type PartitionedConsumer } from './partitionedSubscription';

/**
 * The partitioned follower alone, over a log in memory and an ownership the test moves by hand:
 * it hands each partition only its own events past its checkpoint, moves past stretches of the
 * log that hold none of its events, picks up a partition taken over from its stored checkpoint,
 * and treats a lease lost mid-batch as a reason to renew, not a failure.
 */
const count = 4;
// Saga ids whose partitions (of 4) are known, found once.
const sagaIn = (partition: number) => {
  for (let index = 0; ; index++) if (sagaPartitionOf(`saga-${index}`, count) === partition) return `saga-${index}`;
};

function memoryLog() {
  const events: RecordedEvent[] = [];
  const store = {
    readPartitions: async ({ after, maxCount, partitions }) => {
      const wanted = (event: RecordedEvent) =>
        partitions.owned.includes(sagaPartitionOf((event.data as { sagaId: string }).sagaId, partitions.count));
      const head = events.at(-1)?.position ?? 0;
      const read = events.filter((event) => event.position > after && wanted(event)).slice(0, maxCount);
      return { events: read, through: read.length < maxCount ? Math.max(after, head) : read.at(-1)!.position };
    },
    waitForEvents: (_after, timeoutMs) => new Promise<void>((resolve) => setTimeout(resolve, Math.min(timeoutMs, 20))),
  } as Pick<EventStore, 'readPartitions' | 'waitForEvents'> as EventStore;
  return {
    store,
    append(sagaId: string) {
      const position = (events.length + 1) * 10;
      events.push({ position, stream: `s-${sagaId}`, revision: 0, type: 'SagaCompleted', data: { sagaId } } as never);
      return position;
    },
  };
}

function handOwnership(initial: readonly Lease[]) {
  let owned: OwnedPartitions = { leases: initial, version: 1 };
  const refreshed: number[] = [];
  const ownership: PartitionOwnership = {
    follower: 'test',
    owner: 'me',
    partitions: count,
    current: () => owned,
    owns: (partition) => owned.leases.some((lease) => lease.partition === partition),
    assertValid: () => undefined,
    exclusive: (work) => work(),
    changed: (timeoutMs) => new Promise((resolve) => setTimeout(resolve, Math.min(timeoutMs, 20))),
    refresh: async () => void refreshed.push(Date.now()),
    stop: async () => undefined,
    table: async () => [],
  };
  return {
    ownership,
    refreshed,
    hold: (leases: readonly Lease[]) => {
      owned = { leases, version: owned.version + 1 };
    },
  };
}

function recordingConsumer(stored: ReadonlyMap<number, number> = new Map()) {
  const handled: RecordedEvent[] = [];
  const checkpoints = new Map(stored);
  const failNext: { error?: Error } = {};
  const consumer: PartitionedConsumer = {
    loadCheckpoints: async (partitions) => new Map(partitions.map((p) => [p, checkpoints.get(p) ?? 0])),
    handleBatch: async (events, { position, leases }) => {
      if (failNext.error) {
        const error = failNext.error;
        delete failNext.error;
        throw error;
      }
      handled.push(...events);
      for (const { partition } of leases) checkpoints.set(partition, position);
    },
  };
  return { consumer, handled, checkpoints, failNext };
}

const follow = (store: EventStore, consumer: PartitionedConsumer, ownership: PartitionOwnership) =>
  startPartitionedSubscription({ name: 'test', store, consumer, ownership, logger: silentLogger, idleWaitMs: 20 });

const until = async (what: string, condition: () => boolean) => {
  for (const deadline = Date.now() + 3_000; !condition();) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};
const sagasOf = (events: readonly RecordedEvent[]) => events.map((event) => (event.data as { sagaId: string }).sagaId);

describe('partitioned subscription', () => {
  it('hands each owned partition its own events, moves past the others, and picks up a partition from its checkpoint', async () => {
    const log = memoryLog();
    const [p0, p1, p2] = [sagaIn(0), sagaIn(1), sagaIn(2)];
    const early = log.append(p2); // before partition 2's stored checkpoint: handled by its earlier owner
    const mine = [log.append(p0), log.append(p1)];
    const late = log.append(p2);
    const { ownership, hold } = handOwnership([
      { partition: 0, token: 1 },
      { partition: 1, token: 1 },
    ]);
    const { consumer, handled, checkpoints } = recordingConsumer(new Map([[2, early]]));
    const subscription = follow(log.store, consumer, ownership);
    try {
      await until('its own events', () => handled.length === 2);
      expect(sagasOf(handled)).toEqual([p0, p1]);
      // The read covered the whole log: partition 2's last event does not hold partition 0 back.
      expect(subscription.status().position).toBe(late);
      expect(checkpoints.get(0)).toBe(late);

      hold([0, 1, 2].map((partition) => ({ partition, token: 1 })));
      await until("the taken partition's events", () => handled.length === 3);
      expect(sagasOf(handled)).toEqual([p0, p1, p2]);
      expect(handled.at(-1)!.position).toBe(late);
      expect(mine.every((position) => position < late)).toBe(true);
    } finally {
      await subscription.stop();
    }
  });

  it('stores a quiet partition’s checkpoint soon after the log goes quiet, not only with its next event', async () => {
    const log = memoryLog();
    const [p0, p2] = [sagaIn(0), sagaIn(2)];
    log.append(p0);
    const { ownership } = handOwnership([
      { partition: 0, token: 1 },
      { partition: 1, token: 1 },
    ]);
    const { consumer, handled, checkpoints } = recordingConsumer();
    const subscription = follow(log.store, consumer, ownership);
    try {
      await until('the first event', () => handled.length === 1);
      log.append(p2); // not ours
      const last = log.append(p0);
      await until('the second event', () => handled.length === 2);
      // That batch stored partition 0 alone: partition 1 had nothing in it.
      expect(checkpoints.get(1)).toBeLessThan(last);
      await until("partition 1's checkpoint stored, the log quiet", () => checkpoints.get(1) === last);
    } finally {
      await subscription.stop();
    }
  });

  it('renews and goes on when a batch finds its lease lost, without counting a failure', async () => {
    const log = memoryLog();
    log.append(sagaIn(3));
    const { ownership, refreshed } = handOwnership([{ partition: 3, token: 1 }]);
    const { consumer, handled, failNext } = recordingConsumer();
    failNext.error = new LeaseLostError('test', [3]);
    const subscription = follow(log.store, consumer, ownership);
    try {
      await until('the batch again', () => handled.length === 1);
      expect(refreshed).toHaveLength(1);
      expect(subscription.status().state).toBe('running');
    } finally {
      await subscription.stop();
    }
  });
});
