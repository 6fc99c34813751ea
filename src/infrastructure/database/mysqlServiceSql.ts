import { createPool } from 'mysql2/promise';
import { namedLockSession } from './mysqlNamedLock';
import { execute, transactionOn } from './mysqlStatements';
import type { ServiceSql } from './serviceSql';

/**
 * The statement layer on MariaDB/MySQL: a mysql2 pool of its own.
 * - A statement on its own is `execute`d: a server-side prepared statement, prepared once per
 *   connection and cached by mysql2, so the server parses it once.
 * - A transaction is ONE multi-statement `query` on one connection, `START TRANSACTION; …;
 *   COMMIT`: one round trip, and cheaper per statement than prepared statements one by one (BEGIN,
 *   executes, COMMIT), in node and in mariadbd alike. Values are escaped by mysql2 on the client
 *   for that query.
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
    // No stack captured for every statement in case it fails (a tenth of the node CPU per statement):
    // a failure still carries its code, message and SQL.
    trace: false,
  });
  return {
    dialect: 'mysql',
    run: (statement) => execute(pool, statement),
    transaction: async (statements) => {
      const connection = await pool.getConnection();
      try {
        return await transactionOn(connection, statements);
      } finally {
        connection.release();
      }
    },
    withNamedLock: async (name, timeoutSeconds, work) => {
      const connection = await pool.getConnection();
      const lock = namedLockSession(connection, name, timeoutSeconds);
      try {
        return await work(lock.session);
      } finally {
        await lock.release();
        connection.release();
      }
    },
    close: () => pool.end(),
  };
}
