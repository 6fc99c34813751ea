import { partitionCheckpointName } from '../../application/partitions/sagaPartitions';
import type { PartitionCheckpoints } from '../../application/ports/partitionLeases';
import type { SqlDialect } from './knexClient';
import type { Statement } from './serviceSql';

/**
 * One statement that moves a partitioned follower's checkpoints to `position` — never back — and
 * is its fence: each row's position comes through a read of its lease with the token the copy
 * holds, so a lease taken over since (a higher token) yields NULL, which fails the NOT NULL column
 * and with it the whole transaction the statement opens. On MariaDB the read locks the lease row
 * (shared) until commit, so a takeover waits for the write or the write sees the takeover.
 *
 * `fenced: false` where the leases live in another database (the reactor's checkpoints in the
 * SQLite event file): there one process owns both files, and the lease's local expiry fences it.
 */
export type CheckpointTable = Readonly<{ table: string; key: string; updatedAt?: string }>;

export function partitionCheckpointsStatement(
  dialect: SqlDialect,
  target: CheckpointTable,
  checkpoints: PartitionCheckpoints,
  position: number,
  options: Readonly<{ fenced: boolean }> = { fenced: true },
): Statement {
  const { table, key, updatedAt } = target;
  const lockRead = dialect === 'mysql' ? ' LOCK IN SHARE MODE' : '';
  const positionOf = options.fenced
    ? `(SELECT ? FROM partition_leases WHERE follower = ? AND saga_partition = ? AND owner = ? AND token = ?${lockRead})`
    : '?';
  const params: (string | number)[] = [];
  const now = new Date().toISOString().slice(0, 23).replace('T', ' ');
  const tuples = checkpoints.leases.map(({ partition, token }) => {
    params.push(partitionCheckpointName(checkpoints.follower, partition), position);
    if (options.fenced) params.push(checkpoints.follower, partition, checkpoints.owner, token);
    if (updatedAt) params.push(now);
    return `(?, ${positionOf}${updatedAt ? ', ?' : ''})`;
  });
  const columns = [key, 'position', ...(updatedAt ? [updatedAt] : [])].join(', ');
  const onConflict =
    dialect === 'sqlite'
      ? `ON CONFLICT (${key}) DO UPDATE SET position = MAX(position, excluded.position)` +
        (updatedAt ? `, ${updatedAt} = excluded.${updatedAt}` : '')
      : 'ON DUPLICATE KEY UPDATE position = GREATEST(position, VALUES(position))' +
        (updatedAt ? `, ${updatedAt} = VALUES(${updatedAt})` : '');
  return { sql: `INSERT INTO ${table} (${columns}) VALUES ${tuples.join(', ')} ${onConflict}`, params };
}
