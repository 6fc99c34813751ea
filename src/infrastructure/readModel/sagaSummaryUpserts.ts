import type { SagaSummary } from '../../application/projections/sagaSummary';
import type { SqlDialect } from '../database/knexClient';
import type { SqlValue, Statement } from '../database/serviceSql';
import { sagaSummaryColumns, toRow } from './sagaSummaryRows';

/**
 * The guarded upserts that write saga rows, for the knex writer (rebuilds) and the prepared one
 * (the live projection) alike: a stored row is replaced only by a summary that has folded a later
 * event, so a stale write (an older batch replayed, a summary folded without its stored row) never
 * undoes a newer one. Ids are deterministic (the OrderCreated position): an upsert never burns or
 * reorders them.
 *
 * Rows per statement: 19 columns each, well below SQLite's 32,766 bound parameters. Multi-row
 * VALUES, not knex's compound `SELECT … UNION ALL` (limited to 500 terms and several times slower
 * to prepare).
 */
export const rowsPerUpsert = 500;

export function sagaSummaryUpserts(
  dialect: SqlDialect,
  table: string,
  summaries: readonly SagaSummary[],
  rowsPerStatement = rowsPerUpsert,
): Statement[] {
  const statements: Statement[] = [];
  for (let start = 0; start < summaries.length; start += rowsPerStatement) {
    const rows = summaries.slice(start, start + rowsPerStatement).map(toRow);
    const params: SqlValue[] = [];
    for (const row of rows) for (const column of sagaSummaryColumns) params.push(row[column]);
    statements.push({ sql: (dialect === 'mysql' ? mysqlUpsert : sqliteUpsert)(table, rows.length), params });
  }
  return statements;
}

const columnList = sagaSummaryColumns.join(', ');
const valuesOf = (rows: number) =>
  Array.from({ length: rows }, () => `(${sagaSummaryColumns.map(() => '?').join(', ')})`).join(', ');
const updated = sagaSummaryColumns.filter((column) => column !== 'saga_uuid' && column !== 'last_position');

const sqliteUpsert = memoized(
  (table: string, rows: number) =>
    `INSERT INTO ${table} (${columnList}) VALUES ${valuesOf(rows)} ON CONFLICT(saga_uuid) DO UPDATE SET ` +
    [...updated, 'last_position'].map((column) => `${column} = excluded.${column}`).join(', ') +
    ` WHERE excluded.last_position > ${table}.last_position`,
);

// MariaDB assigns left to right, so last_position, which every guard reads, is assigned last.
const mysqlUpsert = memoized(
  (table: string, rows: number) =>
    `INSERT INTO ${table} (${columnList}) VALUES ${valuesOf(rows)} ON DUPLICATE KEY UPDATE ` +
    updated
      .map((column) => `${column} = IF(VALUES(last_position) > last_position, VALUES(${column}), ${column})`)
      .concat('last_position = GREATEST(last_position, VALUES(last_position))')
      .join(', '),
);

function memoized(build: (table: string, rows: number) => string): (table: string, rows: number) => string {
  const built = new Map<string, string>();
  return (table, rows) => {
    const key = `${table}\n${rows}`;
    let sql = built.get(key);
    if (sql === undefined) built.set(key, (sql = build(table, rows)));
    return sql;
  };
}
