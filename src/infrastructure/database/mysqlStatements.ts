import type { Pool, PoolConnection, ResultSetHeader } from 'mysql2/promise';
import type { SqlValue, Statement, StatementResult, TransactionResult } from './serviceSql';

/** How the MariaDB statement layer (mysqlServiceSql.ts) sends statements and transactions. */

export async function execute(executor: Pool | PoolConnection, { sql, params }: Statement): Promise<StatementResult> {
  const [result] = await executor.execute(sql, params as SqlValue[]);
  return resultOf(result);
}

/**
 * `START TRANSACTION`, the statements and `COMMIT` in one round trip, then the `after` statements
 * (outside the transaction); with `keep`, COMMIT or ROLLBACK (and `after`) in a second one.
 */
export async function transactionOn(
  connection: PoolConnection,
  statements: readonly Statement[],
  keep?: (results: readonly StatementResult[]) => boolean,
  after: readonly Statement[] = [],
): Promise<TransactionResult> {
  const ending = (end: string) => [end, ...after.map((statement) => statement.sql)];
  const afterParams = after.flatMap((statement) => statement.params);
  try {
    const sql = [
      'START TRANSACTION',
      ...statements.map((statement) => statement.sql),
      ...(keep ? [] : ending('COMMIT')),
    ];
    const params = [...statements.flatMap((statement) => statement.params), ...(keep ? [] : afterParams)];
    const [raw] = await connection.query(sql.join(';\n'), params);
    const results = (raw as unknown[]).slice(1, 1 + statements.length).map(resultOf);
    if (!keep) return { committed: true, results };
    const committed = keep(results);
    await connection.query(ending(committed ? 'COMMIT' : 'ROLLBACK').join(';\n'), afterParams);
    return { committed, results };
  } catch (error) {
    await rollBack(connection);
    throw error;
  }
}

/** After a failed statement the transaction may still be open; a connection that cannot even roll back is dropped. */
async function rollBack(connection: PoolConnection): Promise<void> {
  try {
    await connection.query('ROLLBACK');
  } catch {
    connection.destroy();
  }
}

export function resultOf(raw: unknown): StatementResult {
  if (Array.isArray(raw)) return { rows: raw as Record<string, unknown>[], changes: 0 };
  return { rows: [], changes: (raw as ResultSetHeader).affectedRows };
}
