import Database from 'better-sqlite3';
import { configureSqliteConnection, sqliteFilename } from './knexClient';
import type { ServiceSql, SqlValue, Statement, StatementResult } from './serviceSql';
import { groupCommit } from './sqliteGroupCommit';

/**
 * The statement layer on the SQLite service file: better-sqlite3 prepared statements (kept by SQL
 * text) on a connection of its own, every transaction SYNCHRONOUS (`BEGIN IMMEDIATE` … `COMMIT`
 * within one call, no `await` inside).
 *
 * Why synchronous: SQLite has one write lock per file. A synchronous writer waiting for that lock
 * blocks the event loop (busy_timeout). If anything in this process held the lock across an
 * `await` — a knex transaction, say — the synchronous writer would block the very event loop that
 * holder needs to reach its COMMIT: a deadlock until busy_timeout, then SQLITE_BUSY. So every
 * writer of the service file in the long-running roles that runs a transaction (the participants,
 * the live projection writer) goes through here and holds the lock only within one synchronous
 * call; the knex writes left on this file (idempotency keys) are single statements, whose lock is
 * released before knex's promise resolves. (The rebuild keeps its knex transactions: it runs in the
 * CLI's own process, where nothing writes synchronously.)
 *
 * Writes, single statements included, are group-committed: those asked for in one turn of the
 * event loop share one transaction, each in a savepoint of its own (sqliteGroupCommit.ts).
 *
 * Values are bound as knex binds them on SQLite, so rows read the same whichever wrote them: dates
 * as epoch milliseconds, booleans as 0/1.
 */
const preparedStatementsKept = 500;

export function openSqliteServiceSql(databaseUrl: string): ServiceSql {
  const db = new Database(sqliteFilename(databaseUrl));
  configureSqliteConnection(db);
  const kept = new Map<string, Database.Statement>();

  const prepare = (sql: string): Database.Statement => {
    let statement = kept.get(sql);
    if (statement) return statement;
    statement = db.prepare(sql);
    kept.set(sql, statement);
    if (kept.size > preparedStatementsKept) kept.delete(kept.keys().next().value!);
    return statement;
  };

  const execute = ({ sql, params }: Statement): StatementResult => {
    const statement = prepare(sql);
    const values = params.map(sqliteValue);
    if (statement.reader) return { rows: statement.all(...values) as Record<string, unknown>[], changes: 0 };
    return { rows: [], changes: statement.run(...values).changes };
  };

  const writes = groupCommit(db, execute);

  const sqlite: ServiceSql = {
    dialect: 'sqlite',
    run: async (statement) => {
      if (prepare(statement.sql).reader) return execute(statement);
      return (await writes.write([statement]))[0]!;
    },
    transaction: (statements) => writes.write(statements),
    withNamedLock: (_name, _timeoutSeconds, work) => work(sqlite),
    close: async () => {
      writes.flush();
      db.close();
    },
  };
  return sqlite;
}

const sqliteValue = (value: SqlValue): string | number | null =>
  value instanceof Date ? value.getTime() : typeof value === 'boolean' ? Number(value) : value;
