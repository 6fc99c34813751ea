import type { Knex } from 'knex';
import type { SagaSummaryWriter } from '../../application/projections/orderFulfillmentSagasProjection';
import type { SagaSummary } from '../../application/projections/sagaSummary';
import { isMysql } from './knexProjectionStorage';
import { fromRow, sagaSummaryColumns, toRow, type SagaSummaryRow } from './sagaSummaryRows';

/**
 * Rows per statement: 19 columns each, well below SQLite's 32,766 bound parameters. Multi-row
 * VALUES, not knex's compound `SELECT … UNION ALL` (limited to 500 terms and several times
 * slower to prepare).
 */
const rowsPerStatement = 500;
const idsPerLoad = 500;

/** Writes saga rows into one table (the live one, or a rebuild's) inside the caller's transaction. */
export function knexSagaSummaryWriter(db: Knex | Knex.Transaction, table: string): SagaSummaryWriter {
  const upsert = isMysql(db) ? mysqlUpsert : sqliteUpsert;
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
      for (let start = 0; start < summaries.length; start += rowsPerStatement) {
        const rows = summaries.slice(start, start + rowsPerStatement).map(toRow);
        const bindings: unknown[] = [table];
        for (const row of rows) for (const column of sagaSummaryColumns) bindings.push(row[column]);
        await db.raw(upsert(table, rows.length), bindings as Knex.RawBinding[]);
      }
    },
    async truncate() {
      await db(table).delete();
    },
  };
}

/**
 * A guarded upsert: a stored row is replaced only by a summary that has folded a later event, so
 * a stale write (an older batch replayed, a summary folded without its stored row) never undoes
 * a newer one. Ids are deterministic (the OrderCreated position): an upsert never burns or
 * reorders them.
 */
const columnList = sagaSummaryColumns.join(', ');
const valuesOf = (rows: number) =>
  Array.from({ length: rows }, () => `(${sagaSummaryColumns.map(() => '?').join(', ')})`).join(', ');
const updated = sagaSummaryColumns.filter((column) => column !== 'saga_uuid' && column !== 'last_position');

const sqliteUpsert = memoized(
  (table: string, rows: number) =>
    `INSERT INTO ?? (${columnList}) VALUES ${valuesOf(rows)} ON CONFLICT(saga_uuid) DO UPDATE SET ` +
    [...updated, 'last_position'].map((column) => `${column} = excluded.${column}`).join(', ') +
    ` WHERE excluded.last_position > ${quoteSqlite(table)}.last_position`,
);

// MariaDB assigns left to right, so last_position, which every guard reads, is assigned last.
const mysqlUpsert = memoized(
  (_table: string, rows: number) =>
    `INSERT INTO ?? (${columnList}) VALUES ${valuesOf(rows)} ON DUPLICATE KEY UPDATE ` +
    updated
      .map((column) => `${column} = IF(VALUES(last_position) > last_position, VALUES(${column}), ${column})`)
      .concat('last_position = GREATEST(last_position, VALUES(last_position))')
      .join(', '),
);

const quoteSqlite = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;

function memoized(build: (table: string, rows: number) => string): (table: string, rows: number) => string {
  const built = new Map<string, string>();
  return (table, rows) => {
    const key = `${table}\n${rows}`;
    let sql = built.get(key);
    if (sql === undefined) built.set(key, (sql = build(table, rows)));
    return sql;
  };
}
