import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Knex } from 'knex';
import { startPartitionOwnership, type PartitionOwnership } from '../../application/partitions/partitionOwnership';
import {
  allPartitions,
  loadPartitionCheckpoints,
  partitionCheckpointName,
} from '../../application/partitions/sagaPartitions';
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
 * Each partition's checkpoint of a projection, whoever owns it, by the followers' own rule
 * (loadPartitionCheckpoints: one never followed on its own is where the single checkpoint of
 * before left it), read in one query.
 */
export async function projectionPartitionCheckpoints(
  db: Knex,
  projection: string,
  partitions: number,
): Promise<number[]> {
  const every = allPartitions(partitions);
  const rows: { name: string; position: number | string }[] = await db(checkpointsTable)
    .select('name', 'position')
    .whereIn('name', [projection, ...every.map((partition) => partitionCheckpointName(projection, partition))]);
  const stored = new Map(rows.map((row) => [row.name, Number(row.position)]));
  const checkpoints = await loadPartitionCheckpoints(projection, every, async (name) => stored.get(name) ?? 0);
  return every.map((partition) => checkpoints.get(partition)!);
}

/** The lowest of them: how far the read model is complete for sure (the projection's lag is the rest). */
export const projectionLowWatermark = async (db: Knex, projection: string, partitions: number): Promise<number> =>
  Math.min(...(await projectionPartitionCheckpoints(db, projection, partitions)));
