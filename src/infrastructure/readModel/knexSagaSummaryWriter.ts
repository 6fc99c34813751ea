import type { Knex } from 'knex';
import type { SagaSummaryWriter } from '../../application/projections/orderFulfillmentSagasProjection';
import type { SagaSummary } from '../../application/projections/sagaSummary';
import { isMysql } from './knexProjectionStorage';
import { sagaSummaryUpserts } from './sagaSummaryUpserts';
import { fromRow, type SagaSummaryRow } from './sagaSummaryRows';

const idsPerLoad = 500;

/**
 * Writes saga rows into one table (the live one, or a rebuild's) inside the caller's knex
 * transaction: the rebuild's writer. The live projection writes through sqlSagaProjectionStorage.ts.
 */
export function knexSagaSummaryWriter(db: Knex | Knex.Transaction, table: string): SagaSummaryWriter {
  const dialect = isMysql(db) ? 'mysql' : 'sqlite';
  return {
    async load(sagaIds) {
      const found = new Map<string, SagaSummary>();
      for (let start = 0; start < sagaIds.length; start += idsPerLoad) {
        const rows = await db<SagaSummaryRow>(table).whereIn('saga_uuid', sagaIds.slice(start, start + idsPerLoad));
        for (const row of rows) found.set(row.saga_uuid, fromRow(row));
      }
      return found;
    },
    async save(summaries) {
      for (const { sql, params } of sagaSummaryUpserts(dialect, table, summaries)) {
        await db.raw(sql, params as Knex.RawBinding[]);
      }
    },
    async truncate() {
      await db(table).delete();
    },
  };
}
