import type { Pool, PoolConnection, ResultSetHeader } from 'mysql2/promise';
import type { SqlValue, Statement, StatementResult } from './serviceSql';

/** How the MariaDB statement layer (mysqlServiceSql.ts) sends statements and transactions. */

export async function execute(executor: Pool | PoolConnection, { sql, params }: Statement): Promise<StatementResult> {
  const [result] = await executor.execute(sql, params as SqlValue[]);
  return resultOf(result);
}

/**
 * `START TRANSACTION`, the statements and `COMMIT` in one round trip, then the `after` statements
 * (outside the transaction).
 */
export async function transactionOn(
  connection: PoolConnection,
  statements: readonly Statement[],
  after: readonly Statement[] = [],
): Promise<StatementResult[]> {
  const sql = ['START TRANSACTION', ...statements.map((statement) => statement.sql), 'COMMIT'];
  for (const statement of after) sql.push(statement.sql);
  const params = [...statements, ...after].flatMap((statement) => statement.params);
  try {
    const [raw] = await connection.query(sql.join(';\n'), params);
    return (raw as unknown[]).slice(1, 1 + statements.length).map(resultOf);
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
