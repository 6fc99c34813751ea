import type { PoolConnection } from 'mysql2/promise';
import { execute, resultOf, transactionOn } from './mysqlStatements';
import type { SqlSession, Statement } from './serviceSql';

/**
 * A session on one connection that holds a named lock (GET_LOCK) from its first statement to the
 * COMMIT of its transaction, without a round trip of its own for the lock:
 * - GET_LOCK goes in front of the session's first read, in the same round trip. A read that ran
 *   while the lock was refused is thrown away with an error; a write is never sent before the lock
 *   is granted (it takes a round trip of its own then).
 * - RELEASE_LOCK follows the transaction's COMMIT in its last round trip. A statement after that
 *   takes the lock again.
 * `release()` lets go of a lock still held (the work failed, or ended without a transaction).
 */
export function namedLockSession(connection: PoolConnection, name: string, timeoutSeconds: number) {
  const getLock: Statement = { sql: 'SELECT GET_LOCK(?, ?) AS acquired', params: [name, timeoutSeconds] };
  const releaseLock: Statement = { sql: 'DO RELEASE_LOCK(?)', params: [name] };
  let held = false;

  const granted = (rows: unknown) => {
    if ((rows as { acquired: number | null }[])[0]?.acquired !== 1) {
      throw new Error(`named lock ${name} not acquired within ${timeoutSeconds}s: who holds it, and is it stuck?`);
    }
    held = true;
  };
  const take = async () => granted((await execute(connection, getLock)).rows);

  const session: SqlSession = {
    dialect: 'mysql',
    run: async (statement) => {
      if (held) return execute(connection, statement);
      if (!/^\s*select\b/i.test(statement.sql)) {
        await take();
        return execute(connection, statement);
      }
      const [raw] = await connection.query(`${getLock.sql};\n${statement.sql}`, [
        ...getLock.params,
        ...statement.params,
      ]);
      const [lock, rows] = raw as unknown[];
      granted(lock);
      return resultOf(rows);
    },
    transaction: async (statements) => {
      if (!held) await take();
      const results = await transactionOn(connection, statements, [releaseLock]);
      held = false;
      return results;
    },
  };

  return {
    session,
    release: async () => {
      if (!held) return;
      held = false;
      // A connection that cannot release the lock is dropped, and the lock with it.
      await execute(connection, releaseLock).catch(() => connection.destroy());
    },
  };
}
