import { partitionCheckpointName } from '../../application/partitions/sagaPartitions';
import { orderFulfillmentSagasProjectionName } from '../../application/projections/orderFulfillmentSagasProjection';
import { sagaReactorSubscriber } from '../../application/saga/sagaReactorSubscription';
import type { Service } from '../app/buildService';
import { loadProjectionCheckpoint } from '../readModel/knexProjectionStorage';

/**
 * `fulfillment partitions`: who holds which saga partition of each follower, read from the
 * database (so it works with no API running): owner, fencing token, time left on the lease, and
 * how far the partition's checkpoint is behind the log.
 */
export type PartitionRow = Readonly<{
  follower: string;
  partition: number;
  owner: string | null;
  token: number;
  expiresInMs: number;
  checkpoint: number;
  lag: number;
}>;

export async function partitionTable(service: Service): Promise<PartitionRow[]> {
  const [leases, head] = await Promise.all([service.partitionLeases.table(), service.headPosition()]);
  const checkpointOf = async (follower: string, partition: number): Promise<number> => {
    const name = partitionCheckpointName(follower, partition);
    if (follower === sagaReactorSubscriber) return service.checkpoints.load(name);
    if (follower === orderFulfillmentSagasProjectionName) return loadProjectionCheckpoint(service.serviceDb, name);
    return 0;
  };
  return Promise.all(
    leases.map(async (lease) => {
      const checkpoint = await checkpointOf(lease.follower, lease.partition);
      return { ...lease, checkpoint, lag: Math.max(0, head - checkpoint) };
    }),
  );
}

/** The table for a terminal: a free or expired lease shows as such. */
export function formatPartitionTable(rows: readonly PartitionRow[]): string {
  const header = ['FOLLOWER', 'PARTITION', 'OWNER', 'TOKEN', 'LEASE', 'CHECKPOINT', 'LAG'];
  const lines = rows.map((row) => [
    row.follower,
    String(row.partition),
    row.owner ?? '(free)',
    String(row.token),
    row.owner === null ? '-' : row.expiresInMs < 0 ? 'expired' : `${(row.expiresInMs / 1000).toFixed(1)}s left`,
    String(row.checkpoint),
    String(row.lag),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]!.length)));
  return [header, ...lines]
    .map((line) =>
      line
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
