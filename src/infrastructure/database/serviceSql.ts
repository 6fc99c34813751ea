import type { Knex } from 'knex';
import { companionsOf, type SqlDialect } from './knexClient';
import { openMysqlServiceSql } from './mysqlServiceSql';
import { openSqliteServiceSql } from './sqliteServiceSql';

/**
 * The service database's hot path on prepared statements, without knex (which costs ~50-90 µs of
 * CPU per query): the built-in participants and the live projection writer talk to this small
 * statement layer, one implementation per dialect.
 *
 * A transaction is a list of statements sent together and committed; a statement that fails rolls
 * it all back. Decisions that depend on a statement's result are made by the statements themselves
 * (conditional updates, guards that fail the transaction), so no transaction waits on the client
 * between its statements. That shape is enough for every write on the hot path, and it is what
 * each dialect does best:
 * - SQLite: one synchronous better-sqlite3 transaction (BEGIN IMMEDIATE), on a connection of its
 *   own (sqliteServiceSql.ts says why it must be synchronous);
 * - MariaDB: one multi-statement round trip `START TRANSACTION; …; COMMIT` on one pooled
 *   connection. Single statements go through `execute`: server-side prepared statements, cached
 *   per connection.
 */
export type SqlValue = string | number | boolean | Date | null;

export type Statement = Readonly<{ sql: string; params: readonly SqlValue[] }>;

export type StatementResult = Readonly<{
  /** The rows a SELECT returned; empty for other statements. */
  rows: readonly Record<string, unknown>[];
  /** Rows an INSERT, UPDATE or DELETE changed; 0 for a SELECT. */
  changes: number;
}>;

export interface SqlSession {
  readonly dialect: SqlDialect;
  /** One statement on its own, committed as it ends. */
  run(statement: Statement): Promise<StatementResult>;
  /** The statements in one transaction, in order, committed; one that fails rolls them all back and rejects. */
  transaction(statements: readonly Statement[]): Promise<readonly StatementResult[]>;
}

export interface ServiceSql extends SqlSession {
  /**
   * Runs `work` holding the named lock `name` (MariaDB's GET_LOCK, on one connection that `work`'s
   * session uses throughout). On SQLite `work` just runs: the file's single write lock does the job.
   */
  withNamedLock<T>(name: string, timeoutSeconds: number, work: (session: SqlSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const opened = new WeakMap<Knex, ServiceSql>();

/**
 * The statement layer on the database a knex client (from `createKnex`) points at: opened with
 * the first call, then the same one for that client, and closed when the client is destroyed.
 * So whatever builds participants or projections from a knex client, and destroys it when done,
 * needs nothing else to open or close.
 */
export function serviceSqlOf(db: Knex): ServiceSql {
  let sql = opened.get(db);
  if (sql) return sql;
  const companions = companionsOf(db);
  const created =
    companions.dialect === 'sqlite' ? openSqliteServiceSql(companions.url) : openMysqlServiceSql(companions.url);
  opened.set(db, created);
  companions.closeWith(() => created.close());
  sql = created;
  return sql;
}

/** `IN (…)` placeholders for `values`, padded to a power of two so few distinct statements get prepared. */
export function inList(values: readonly SqlValue[]): Readonly<{ placeholders: string; params: SqlValue[] }> {
  if (values.length === 0) throw new Error('inList needs at least one value');
  let size = 1;
  while (size < values.length) size *= 2;
  const params = [...values];
  while (params.length < size) params.push(values[values.length - 1]!);
  return { placeholders: params.map(() => '?').join(', '), params };
}
