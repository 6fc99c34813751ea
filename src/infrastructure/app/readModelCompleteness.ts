import type { Knex } from 'knex';
import { allPartitions, partitionKeyOf, sagaPartitionOf } from '../../application/partitions/sagaPartitions';
import type { EventStore } from '../../application/ports/eventStore';
import { projectionPartitionCheckpoints } from './partitionFollowers';

/** Events read past the lowest checkpoint at most, per answer: a bound on the cost of one poll. */
const scanLimit = 500;

/**
 * The position through which a partitioned projection's read model is complete: every row change
 * from an event at or before it is committed. What GET /sagas/changes hands out up to.
 *
 * The lowest stored checkpoint is such a position, but a late one: a copy stores a quiet
 * partition's checkpoint only now and then (every second), and not at all while the log is idle,
 * so the lowest checkpoint can stay behind the last events indefinitely. This goes further, exactly: it
 * reads the log on from the lowest checkpoint, and stops before the first event whose partition's
 * checkpoint has not passed it (a change some copy still has to commit). Events at or below their
 * partition's checkpoint are committed with it, in one transaction; a partition with no event in
 * between has nothing to commit there. The read is the store's gap-safe partitioned read, so no
 * event can still appear below what it covered.
 */
export async function projectionCompleteThrough(
  db: Knex,
  eventStore: Pick<EventStore, 'readPartitions'>,
  projection: string,
  partitions: number,
): Promise<number> {
  const checkpoints = await projectionPartitionCheckpoints(db, projection, partitions);
  const lowest = Math.min(...checkpoints);
  const { events, through } = await eventStore.readPartitions({
    after: lowest,
    maxCount: scanLimit,
    partitions: { count: partitions, owned: allPartitions(partitions) },
  });
  for (const event of events) {
    const partition = sagaPartitionOf(partitionKeyOf(event, event.stream), partitions);
    if (event.position > checkpoints[partition]!) return event.position - 1;
  }
  return Math.max(lowest, through);
}
