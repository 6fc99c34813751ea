import type { Knex } from 'knex';
import type { SagaSummaryWriter } from '../../application/projections/orderFulfillmentSagasProjection';
import type { ProjectionStorage } from '../../application/projections/projection';
import type { SagaSummary } from '../../application/projections/sagaSummary';
import { inList, serviceSqlOf, type SqlSession, type Statement } from '../database/serviceSql';
import { LeaseLostError } from '../../application/ports/partitionLeases';
import { partitionCheckpointsStatement, type CheckpointTable } from '../database/fencedCheckpoints';
import { isNotNullViolation } from '../database/notNullViolation';
import { checkpointsTable, lockTimeoutSeconds, projectionLockName } from './knexProjectionStorage';
import { sagaSummaryUpserts } from './sagaSummaryUpserts';
import { fromRow, liveSagasTable, sagaSummaryColumns, type SagaSummaryRow } from './sagaSummaryRows';

/**
 * The live `order_fulfillment_sagas` projection's storage on prepared statements (serviceSql.ts):
 * rows and checkpoint in one transaction (SPEC §6).
 *
 * A batch reads the rows it folds (load), then writes the changed rows and the checkpoint in ONE
 * transaction at the end: the writes are collected while the projection folds, so no transaction
 * is open across an `await` (on SQLite a synchronous writer must never wait for a lock held across
 * one: sqliteServiceSql.ts). Reading outside that transaction is safe: only this projection
 * writes live rows, the writes are guarded upserts (a row never goes back to an older position),
 * and on MariaDB the whole batch holds the projection's named lock, as the rebuild's swap does
 * (projectionRebuild.ts), so no batch straddles a swap. On SQLite the file's write lock keeps a
 * batch's commit out of a swap.
 */
const idsPerLoad = 512;
const projectionCheckpoints: CheckpointTable = { table: checkpointsTable, key: 'name' };

export function sqlSagaProjectionStorage(
  db: Knex,
  table: string = liveSagasTable,
): ProjectionStorage<SagaSummaryWriter> {
  const sql = serviceSqlOf(db);
  return {
    loadCheckpoint: async (checkpointName) => {
      const { rows } = await sql.run({
        sql: `SELECT position FROM ${checkpointsTable} WHERE name = ?`,
        params: [checkpointName],
      });
      return Number((rows[0] as { position: number } | undefined)?.position ?? 0);
    },
    transaction: (checkpoint, position, work) =>
      sql.withNamedLock(projectionLockName(table), lockTimeoutSeconds, async (session) => {
        const batch = collectingWriter(session, table);
        await work(batch.writer);
        if (typeof checkpoint === 'string') {
          await session.transaction([...batch.statements(), storeCheckpoint(session, checkpoint, position)]);
          return;
        }
        if (checkpoint.leases.length === 0) {
          if (batch.statements().length === 0) return;
          throw new Error('a batch with rows to write names no partition to fence them with: a bug in the follower');
        }
        // The fence first: a lease taken over fails it, and nothing of the batch is written.
        const fence = partitionCheckpointsStatement(session.dialect, projectionCheckpoints, checkpoint, position);
        await session.transaction([fence, ...batch.statements()]).catch((error: unknown) => {
          if (!isNotNullViolation(error)) throw error;
          throw new LeaseLostError(
            checkpoint.follower,
            checkpoint.leases.map((lease) => lease.partition),
          );
        });
      }),
  };
}

/** Reads at once; keeps what is saved (or truncated) for the batch's one transaction. */
function collectingWriter(session: SqlSession, table: string) {
  let truncated = false;
  const saved = new Map<string, SagaSummary>();
  const writer: SagaSummaryWriter = {
    async load(sagaIds) {
      const found = new Map<string, SagaSummary>();
      for (let start = 0; start < sagaIds.length; start += idsPerLoad) {
        const { placeholders, params } = inList(sagaIds.slice(start, start + idsPerLoad));
        const { rows } = await session.run({
          sql: `SELECT ${sagaSummaryColumns.join(', ')} FROM ${table} WHERE saga_uuid IN (${placeholders})`,
          params,
        });
        for (const row of rows as SagaSummaryRow[]) found.set(row.saga_uuid, fromRow(row));
      }
      return found;
    },
    async save(summaries) {
      for (const summary of summaries) saved.set(summary.sagaId, summary);
    },
    async truncate() {
      truncated = true;
      saved.clear();
    },
  };
  const statements = (): Statement[] => [
    ...(truncated ? [{ sql: `DELETE FROM ${table}`, params: [] }] : []),
    ...sagaSummaryUpserts(session.dialect, table, [...saved.values()]),
  ];
  return { writer, statements };
}

const storeCheckpoint = (session: SqlSession, name: string, position: number): Statement => ({
  sql:
    `INSERT INTO ${checkpointsTable} (name, position) VALUES (?, ?) ` +
    (session.dialect === 'sqlite'
      ? 'ON CONFLICT (name) DO UPDATE SET position = excluded.position'
      : 'ON DUPLICATE KEY UPDATE position = VALUES(position)'),
  params: [name, position],
});
