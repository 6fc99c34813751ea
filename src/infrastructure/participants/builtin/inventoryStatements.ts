import type { MedicationLine } from '../../../domain/events/values';
import type { SqlDialect } from '../../database/knexClient';
import type { Statement } from '../../database/serviceSql';
import { catalogItemsTable } from './catalogItems';

/**
 * The inventory module's statements on `catalog_items` and `inventory_reservation_lines` (one row
 * per saga and line, whose `status` moves with the saga's ledger row: `reserved`, then `released`).
 */
const linesTable = 'inventory_reservation_lines';

/**
 * Takes a line's quantity only if it is available (a conditional update: two reservations can
 * never both take the last units), then records the line. The record's status is NULL when the
 * update took nothing, which fails the NOT NULL column and with it the whole transaction: the
 * reservation is all or nothing without the client looking at each update's result in between.
 * (`changes()` / `ROW_COUNT()`: the rows the statement just before changed.)
 */
export const takeLine = (dialect: SqlDialect, sagaId: string, line: MedicationLine, now: Date): Statement[] => [
  {
    sql: `UPDATE ${catalogItemsTable} SET reserved = reserved + ?, updated_at = ? WHERE sku = ? AND on_hand - reserved >= ?`,
    params: [line.quantity, now, line.sku, line.quantity],
  },
  {
    sql:
      `INSERT INTO ${linesTable} (saga_id, sku, quantity, status) ` +
      `VALUES (?, ?, ?, CASE WHEN ${dialect === 'sqlite' ? 'changes()' : 'ROW_COUNT()'} = 1 THEN 'reserved' END)`,
    params: [sagaId, line.sku, line.quantity],
  },
];

/**
 * Gives back what the saga's lines still hold, and marks them released. Both change nothing once
 * the lines are released, so they run unconditionally after the ledger's flip: only the
 * transaction that flips the ledger row finds the lines still `reserved`.
 */
export const releaseLines = (dialect: SqlDialect, sagaId: string, now: Date): Statement[] => [
  {
    sql:
      dialect === 'sqlite'
        ? `UPDATE ${catalogItemsTable} SET reserved = reserved - l.quantity, updated_at = ? FROM ${linesTable} AS l ` +
          `WHERE l.saga_id = ? AND l.status = 'reserved' AND ${catalogItemsTable}.sku = l.sku`
        : `UPDATE ${catalogItemsTable} AS c JOIN ${linesTable} AS l ON l.sku = c.sku ` +
          `SET c.reserved = c.reserved - l.quantity, c.updated_at = ? WHERE l.saga_id = ? AND l.status = 'reserved'`,
    params: [now, sagaId],
  },
  {
    sql: `UPDATE ${linesTable} SET status = 'released' WHERE saga_id = ? AND status = 'reserved'`,
    params: [sagaId],
  },
];

export const selectReleasedLines = (sagaId: string): Statement => ({
  sql: `SELECT sku, quantity FROM ${linesTable} WHERE saga_id = ? AND status = 'released' ORDER BY sku`,
  params: [sagaId],
});
