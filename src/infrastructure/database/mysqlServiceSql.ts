import { createPool, type Pool, type PoolConnection, type ResultSetHeader } from 'mysql2/promise';
import type { ServiceSql, SqlSession, SqlValue, StatementResult, TransactionResult } from './serviceSql';

/**
 * The statement layer on MariaDB/MySQL: a mysql2 pool of its own.
 * - A statement on its own is `execute`d: a server-side prepared statement, prepared once per
 *   connection and cached by mysql2, so the server parses it once.
 * - A transaction is ONE multi-statement `query` on one connection, `START TRANSACTION; …;
 *   COMMIT`: one round trip, and cheaper per statement than prepared statements one by one, in
 *   node and in mariadbd alike (bench/participants.bench.ts). When the caller must see the results
 *   before deciding, COMMIT or ROLLBACK follows as a second round trip. Values are escaped by
 *   mysql2 on the client for that query.
 * Correctness under concurrency rests on the statements themselves (conditional updates, row
 * locks, unique keys, the stock CHECK constraint), not on the isolation level.
 */
const connectionLimit = 16;

export function openMysqlServiceSql(databaseUrl: string): ServiceSql {
  const pool = createPool({
    uri: databaseUrl,
    multipleStatements: true,
    supportBigNumbers: true,
    bigNumberStrings: false,
    timezone: 'Z',
    dateStrings: false,
    connectionLimit,
  });
  const onPool = session(pool, async () => {
    const connection = await pool.getConnection();
    return { connection, done: () => connection.release() };
  });
  return {
    ...onPool,
    withNamedLock: async (name, timeoutSeconds, work) => {
      const connection = await pool.getConnection();
      try {
        const [rows] = await connection.execute('SELECT GET_LOCK(?, ?) AS acquired', [name, timeoutSeconds]);
        if ((rows as { acquired: number | null }[])[0]?.acquired !== 1) {
          throw new Error(`named lock ${name} not acquired within ${timeoutSeconds}s: who holds it, and is it stuck?`);
        }
        try {
          return await work(session(connection, async () => ({ connection, done: () => undefined })));
        } finally {
          // A connection that cannot release the lock is dropped, and the lock with it.
          await connection.query('DO RELEASE_LOCK(?)', [name]).catch(() => connection.destroy());
        }
      } finally {
        connection.release();
      }
    },
    close: () => pool.end(),
  };
}

type Borrowed = Readonly<{ connection: PoolConnection; done(): void }>;

/** Statements on `executor` (the pool, or one connection); transactions on the connection `borrow` lends. */
function session(executor: Pool | PoolConnection, borrow: () => Promise<Borrowed>): SqlSession {
  return {
    dialect: 'mysql',
    run: async ({ sql, params }) => {
      const [result] = await executor.execute(sql, params as SqlValue[]);
      return resultOf(result);
    },
    transaction: async (statements, keep): Promise<TransactionResult> => {
      const { connection, done } = await borrow();
      try {
        const sql = ['START TRANSACTION', ...statements.map((statement) => statement.sql)];
        if (!keep) sql.push('COMMIT');
        const params = statements.flatMap((statement) => statement.params);
        const [raw] = await connection.query(sql.join(';\n'), params);
        const results = (raw as unknown[]).slice(1, 1 + statements.length).map(resultOf);
        if (!keep) return { committed: true, results };
        const committed = keep(results);
        await connection.query(committed ? 'COMMIT' : 'ROLLBACK');
        return { committed, results };
      } catch (error) {
        await rollBack(connection);
        throw error;
      } finally {
        done();
      }
    },
  };
}

/** After a failed statement the transaction may still be open; a connection that cannot even roll back is dropped. */
async function rollBack(connection: PoolConnection): Promise<void> {
  try {
    await connection.query('ROLLBACK');
  } catch {
    connection.destroy();
  }
}

function resultOf(raw: unknown): StatementResult {
  if (Array.isArray(raw)) return { rows: raw as Record<string, unknown>[], changes: 0 };
  return { rows: [], changes: (raw as ResultSetHeader).affectedRows };
}
