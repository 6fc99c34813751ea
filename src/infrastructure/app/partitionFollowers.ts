import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Knex } from 'knex';
import { startPartitionOwnership, type PartitionOwnership } from '../../application/partitions/partitionOwnership';
import { partitionCheckpointName } from '../../application/partitions/sagaPartitions';
import type { Logger } from '../../application/ports/logger';
import type { PartitionLeaseStore } from '../../application/ports/partitionLeases';
import type { Config } from '../config/config';
import type { FulfillmentMetrics } from '../observability/metrics';
import { checkpointsTable } from '../readModel/knexProjectionStorage';

/**
 * The partitioned followers' side of a built service: each follower a process runs (the reactor,
 * the projection) holds its own leases, as one copy among however many run.
 */

/** This process's name among the copies: host, pid and a random part (the saga thread is another copy). */
export const copyName = () => `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

export function startFollowerOwnership(
  follower: string,
  dependencies: Readonly<{
    leases: PartitionLeaseStore;
    owner: string;
    config: Config;
    logger: Logger;
    metrics: FulfillmentMetrics;
  }>,
): PartitionOwnership {
  const { leases, owner, config, logger, metrics } = dependencies;
  return startPartitionOwnership({
    leases,
    holder: { follower, owner },
    partitions: config.partitions.count,
    leaseMs: config.partitions.leaseMs,
    logger,
    metrics: {
      handedOver: (name, change, count) => metrics.partitionHandovers.inc({ follower: name, change }, count),
      owned: () => undefined, // the gauge reads the followers' statuses when scraped
    },
  });
}

/**
 * The lowest checkpoint of a projection over every partition, whoever owns it: how far the read
 * model is complete. A partition without a checkpoint of its own is where the projection's single
 * checkpoint of before left it.
 */
export async function projectionLowWatermark(db: Knex, projection: string, partitions: number): Promise<number> {
  const names = Array.from({ length: partitions }, (_, partition) => partitionCheckpointName(projection, partition));
  const rows: { name: string; position: number | string }[] = await db(checkpointsTable)
    .select('name', 'position')
    .whereIn('name', [projection, ...names]);
  const byName = new Map(rows.map((row) => [row.name, Number(row.position)]));
  const before = byName.get(projection) ?? 0;
  return Math.min(...names.map((name) => byName.get(name) ?? before));
}
