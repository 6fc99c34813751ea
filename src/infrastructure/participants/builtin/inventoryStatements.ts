import type { MedicationLine } from '../../../domain/events/values';
import type { SqlDialect } from '../../database/knexClient';
import type { Statement } from '../../database/serviceSql';
import { catalogItemsTable } from './catalogItems';

/**
 * The inventory module's statements on `catalog_items` and `inventory_reservation_lines` (one row
 * per saga and line, whose `status` moves with the saga's ledger row: `reserved`, then `released`).
 */
const linesTable = 'inventory_reservation_lines';

/** Takes a line's quantity only if it is available: two reservations can never both take the last units. */
export const takeLine = (line: MedicationLine, now: Date): Statement => ({
  sql: `UPDATE ${catalogItemsTable} SET reserved = reserved + ?, updated_at = ? WHERE sku = ? AND on_hand - reserved >= ?`,
  params: [line.quantity, now, line.sku, line.quantity],
});

export const insertLines = (sagaId: string, lines: readonly MedicationLine[]): Statement => ({
  sql: `INSERT INTO ${linesTable} (saga_id, sku, quantity, status) VALUES ${lines.map(() => "(?, ?, ?, 'reserved')").join(', ')}`,
  params: lines.flatMap((line) => [sagaId, line.sku, line.quantity]),
});

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
