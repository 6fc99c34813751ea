import type { Knex } from 'knex';
import type { SagaSummaryWriter } from '../../application/projections/orderFulfillmentSagasProjection';
import type { SagaSummary } from '../../application/projections/sagaSummary';
import { fromRow, toRow, type SagaSummaryRow } from './sagaSummaryRows';

/** Knex inserts many rows on SQLite as a compound SELECT, limited to 500 terms. */
const rowsPerStatement = 400;

/** Writes saga rows into one table (the live one, or a rebuild's) inside the caller's transaction. */
export function knexSagaSummaryWriter(db: Knex | Knex.Transaction, table: string): SagaSummaryWriter {
  return {
    async load(sagaIds) {
      const found = new Map<string, SagaSummary>();
      for (let start = 0; start < sagaIds.length; start += 500) {
        const rows = await db<SagaSummaryRow>(table).whereIn('saga_uuid', sagaIds.slice(start, start + 500));
        for (const row of rows) found.set(row.saga_uuid, fromRow(row));
      }
      return found;
    },
    async save(summaries) {
      for (let start = 0; start < summaries.length; start += rowsPerStatement) {
        const rows = summaries.slice(start, start + rowsPerStatement).map(toRow);
        // Ids are deterministic (the OrderCreated position), so an upsert never burns or reorders them.
        await db(table).insert(rows).onConflict('saga_uuid').merge();
      }
    },
    async truncate() {
      await db(table).delete();
    },
  };
}
