import type { FulfillmentEventType } from '../../domain/events';
import type { RecordedEvent } from '../ports/eventStore';
import { loadPartitionCheckpoints } from '../partitions/sagaPartitions';
import type { PartitionCheckpoints } from '../ports/partitionLeases';
import type { BatchConsumer, PartitionedConsumer } from '../subscriptions';

/**
 * A projection as a declaration, à la Emmett: its name, the event types it reads, how it applies
 * a batch to its store and how it empties it. `Store` is the port its rows are written through,
 * handed in already inside the batch's transaction.
 */
export type Projection<Store> = Readonly<{
  name: string;
  canHandle: readonly FulfillmentEventType[];
  handle(events: readonly RecordedEvent[], store: Store): Promise<void>;
  truncate(store: Store): Promise<void>;
}>;

/**
 * Where a projection's rows and checkpoint live. `transaction` runs the work and stores the
 * checkpoint in ONE database transaction, so a crash neither loses nor double-applies an event.
 */
export interface ProjectionStorage<Store> {
  loadCheckpoint(checkpointName: string): Promise<number>;
  /**
   * `checkpoint`: the one checkpoint's name, or a partitioned copy's leased partitions, whose
   * checkpoints move together and only while the leases hold (else LeaseLostError, nothing written).
   */
  transaction(checkpoint: ProjectionCheckpoint, position: number, work: (store: Store) => Promise<void>): Promise<void>;
}

export type ProjectionCheckpoint = string | PartitionCheckpoints;

/**
 * Turns a projection into a catch-up subscription consumer. Every batch moves the checkpoint,
 * including batches with no event the projection handles, so a restart never rereads them.
 */
export function projectionConsumer<Store>(
  projection: Projection<Store>,
  storage: ProjectionStorage<Store>,
  checkpointName: string = projection.name,
): BatchConsumer {
  const handled = new Set<string>(projection.canHandle);
  return {
    loadCheckpoint: () => storage.loadCheckpoint(checkpointName),
    handleBatch: async (events) => {
      const relevant = events.filter((event) => handled.has(event.type));
      const position = events[events.length - 1]!.position;
      await storage.transaction(checkpointName, position, async (store) => {
        if (relevant.length > 0) await projection.handle(relevant, store);
      });
    },
  };
}

/**
 * A projection as a partitioned copy's consumer: each leased partition's checkpoint is
 * `<projection>/<partition>` (loadPartitionCheckpoints); rows are written only while the leases hold.
 */
export function partitionedProjectionConsumer<Store>(
  projection: Projection<Store>,
  storage: ProjectionStorage<Store>,
  owner: string,
): PartitionedConsumer {
  const handled = new Set<string>(projection.canHandle);
  const follower = projection.name;
  return {
    loadCheckpoints: (partitions) => loadPartitionCheckpoints(follower, partitions, storage.loadCheckpoint),
    handleBatch: async (events, { position, leases }) => {
      const relevant = events.filter((event) => handled.has(event.type));
      await storage.transaction({ follower, owner, leases }, position, async (store) => {
        if (relevant.length > 0) await projection.handle(relevant, store);
      });
    },
  };
}
