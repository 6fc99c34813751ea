import { EventDecodingError } from '../errors';
import type { PartitionOwnership } from '../partitions/partitionOwnership';
import { partitionKeyOf, sagaPartitionOf } from '../partitions/sagaPartitions';
import type { RecordedEvent } from '../ports/eventStore';
import { LeaseLostError, type Lease } from '../ports/partitionLeases';
import { retryDelayMs, type CatchUpSubscription, type CatchUpSubscriptionOptions } from './catchUpSubscription';
import { asError, followerStatus } from './followerStatus';

/**
 * A follower of the saga partitions this copy holds (partitionOwnership.ts), each with its own
 * checkpoint. It reads the owned partitions' events in global order from the lowest of their
 * checkpoints, hands a partition only the events past its own, and after each batch moves every
 * owned partition's checkpoint to the batch's end (none of them has an event before it unread).
 * One saga's events are in one partition, so they are still handled in order, by one copy at a time.
 *
 * Transient failures are retried for ever with backoff, as in catchUpSubscription.ts; a batch
 * refused because a lease was lost (LeaseLostError) is not a failure: the copy renews, drops what
 * it no longer holds, and goes on with the rest.
 */
export type PartitionedConsumer = Readonly<{
  /** Each partition's checkpoint (0 for none); called when the owned set changes. */
  loadCheckpoints(partitions: readonly number[]): Promise<ReadonlyMap<number, number>>;
  /**
   * Handles the events, then stores `position` as the checkpoint of every partition in `leases`
   * (those the events are of, and now and then every owned one).
   */
  handleBatch(
    events: readonly RecordedEvent[],
    progress: Readonly<{ position: number; leases: readonly Lease[] }>,
  ): Promise<void>;
}>;

export type PartitionedSubscriptionOptions = Omit<CatchUpSubscriptionOptions, 'consumer'> &
  Readonly<{ consumer: PartitionedConsumer; ownership: PartitionOwnership }>;

export interface PartitionedSubscription extends CatchUpSubscription {
  /** Each owned partition's checkpoint, for its lag. */
  checkpoints(): ReadonlyMap<number, number>;
}

/**
 * How often every owned partition's checkpoint is stored, events or not: what the stored
 * checkpoints (the read model's lag in /readyz and /metrics, read by any process) may trail by.
 */
const storeEveryCheckpointMs = 1_000;

export function startPartitionedSubscription(options: PartitionedSubscriptionOptions): PartitionedSubscription {
  const { name, store, consumer, ownership } = options;
  const batchSize = options.batchSize ?? 500;
  const idleWaitMs = options.idleWaitMs ?? 1000;
  const logger = options.logger.child({ subscription: name });
  const partitionOf = (event: RecordedEvent) =>
    sagaPartitionOf(partitionKeyOf(event, event.stream), ownership.partitions);

  const status = followerStatus(name, logger);
  let checkpoints = new Map<number, number>();
  let loadedVersion = -1;
  let everyCheckpointStoredAt = 0;
  /** Some owned checkpoint moved in memory only since every one was last stored. */
  let unstored = false;
  let stopRequested = false;
  let wake: () => void = () => undefined;
  const lowest = () => (checkpoints.size === 0 ? 0 : Math.min(...checkpoints.values()));

  /** Waits for new events, a change of the owned set, a stop, or `ms`. */
  const idle = (ms: number, position?: number) =>
    new Promise<void>((resolve) => {
      if (stopRequested) return resolve();
      wake = resolve;
      void ownership.changed(ms).then(resolve);
      if (position !== undefined) store.waitForEvents(position, ms).then(resolve, resolve);
    });

  /** Loads the checkpoints of partitions just taken; forgets those handed back. */
  const syncOwned = async (leases: readonly Lease[]) => {
    const owned = leases.map((lease) => lease.partition);
    const loaded = await consumer.loadCheckpoints(owned);
    checkpoints = new Map(owned.map((partition) => [partition, loaded.get(partition) ?? 0]));
    logger.info({ partitions: owned, position: lowest() }, 'subscription follows its partitions');
  };

  /**
   * The checkpoints a batch stores: those of the partitions it has events of (their writes are
   * what the checkpoint statement fences), and every owned one now and then, so that a partition
   * with no events for a while does not make the next owner read far back. Between those stores a
   * quiet partition's checkpoint moves in memory only.
   */
  const toStore = (events: readonly RecordedEvent[], leases: readonly Lease[]): readonly Lease[] => {
    if (Date.now() - everyCheckpointStoredAt >= storeEveryCheckpointMs) {
      everyCheckpointStoredAt = Date.now();
      unstored = false;
      return leases;
    }
    const touched = new Set(events.map(partitionOf));
    const stored = leases.filter((lease) => touched.has(lease.partition));
    unstored ||= stored.length < leases.length;
    return stored;
  };

  /** One batch of the owned partitions; false when there was nothing to read. */
  const step = () =>
    ownership.exclusive(async () => {
      const { leases, version } = ownership.current();
      if (version !== loadedVersion) {
        await syncOwned(leases);
        loadedVersion = version;
      }
      if (leases.length === 0) return false;
      const after = lowest();
      const { events, through } = await store.readPartitions({
        after,
        maxCount: batchSize,
        partitions: { count: ownership.partitions, owned: leases.map((lease) => lease.partition) },
      });
      if (through <= after) {
        // Caught up: the quiet partitions' checkpoints, moved in memory only, are stored once the
        // period is up, so a quiet log does not leave the stored ones (the read model's lag) behind.
        if (unstored && Date.now() - everyCheckpointStoredAt >= storeEveryCheckpointMs) {
          ownership.assertValid();
          await consumer.handleBatch([], { position: after, leases: toStore([], leases) });
        }
        return false;
      }
      // Other partitions' events alone still move the checkpoints past them.
      const unhandled = events.filter((event) => event.position > (checkpoints.get(partitionOf(event)) ?? 0));
      ownership.assertValid();
      await consumer.handleBatch(unhandled, { position: through, leases: toStore(unhandled, leases) });
      for (const partition of checkpoints.keys())
        checkpoints.set(partition, Math.max(through, checkpoints.get(partition)!));
      return events.length > 0;
    });

  const follow = async () => {
    let attempts = 0;
    logger.info({ partitions: ownership.current().leases.length }, 'subscription started');
    while (!stopRequested) {
      try {
        const read = await step();
        if (attempts > 0) logger.info({ attempts }, `subscription ${name} goes on after ${attempts} failed attempts`);
        attempts = 0;
        status.set({ state: 'running', position: lowest() });
        if (!read) await idle(idleWaitMs, ownership.current().leases.length > 0 ? lowest() : undefined);
      } catch (error) {
        if (error instanceof EventDecodingError) throw error;
        if (error instanceof LeaseLostError) {
          logger.warn({ partitions: error.partitions }, `${error.message}; renewing before the next batch`);
          await ownership.refresh().catch(() => undefined);
          continue;
        }
        attempts++;
        const waitMs = retryDelayMs(attempts, options.retry);
        status.retrying(asError(error), lowest(), attempts, waitMs);
        await idle(waitMs);
      }
    }
    status.set({ state: 'stopped', position: lowest() });
    logger.info({ position: lowest() }, 'subscription stopped');
  };

  const loop = follow().catch(status.failed);

  return {
    name,
    status: status.get,
    checkpoints: () => checkpoints,
    waitForPosition: status.waitForPosition,
    // A stopped follower hands its partitions to the other copies at once.
    stop: async () => {
      stopRequested = true;
      wake();
      await loop;
      await ownership.stop();
    },
  };
}
