import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import knex, { type Knex } from 'knex';

/**
 * Builds the knex client for a DATABASE_URL: `sqlite:<path>` (the embedded default, through
 * better-sqlite3 in WAL mode) or `mysql://…` (MariaDB/MySQL through mysql2).
 */
export type SqlDialect = 'sqlite' | 'mysql';

export const dialectOf = (databaseUrl: string): SqlDialect => (databaseUrl.startsWith('sqlite:') ? 'sqlite' : 'mysql');

export function sqliteFilename(databaseUrl: string): string {
  const path = databaseUrl.slice('sqlite:'.length);
  return path === ':memory:' ? path : resolve(path);
}

export function createKnex(databaseUrl: string, options: { poolMax?: number } = {}): Knex {
  return withCompanions(createKnexClient(databaseUrl, options), databaseUrl);
}

function createKnexClient(databaseUrl: string, options: { poolMax?: number }): Knex {
  if (dialectOf(databaseUrl) === 'sqlite') {
    const filename = sqliteFilename(databaseUrl);
    if (filename !== ':memory:') mkdirSync(dirname(filename), { recursive: true });
    return knex({
      client: 'better-sqlite3',
      connection: { filename },
      useNullAsDefault: true,
      // One connection: SQLite has one writer, and a second pooled connection would only wait.
      pool: { min: 1, max: 1, afterCreate: configureSqlite },
    });
  }
  return knex({
    client: 'mysql2',
    connection: {
      uri: databaseUrl,
      // BIGINT positions come back as numbers (they stay far below 2^53) and DATETIMEs as UTC.
      supportBigNumbers: true,
      bigNumberStrings: false,
      timezone: 'Z',
      dateStrings: false,
    } as Knex.MySql2ConnectionConfig,
    pool: { min: 0, max: options.poolMax ?? 20 },
  });
}

/**
 * Connections opened beside a knex client to the same database (the prepared-statement layer,
 * serviceSql.ts) live as long as the client: its `destroy()` closes them first. Everything that
 * owns a knex client destroys it already, so none of them has a second thing to close.
 */
export type KnexCompanions = Readonly<{
  dialect: SqlDialect;
  url: string;
  closeWith(close: () => Promise<void>): void;
}>;

const companions = new WeakMap<Knex, KnexCompanions>();

function withCompanions(db: Knex, url: string): Knex {
  const closers: (() => Promise<void>)[] = [];
  const destroy = db.destroy.bind(db) as (callback?: unknown) => Promise<void>;
  // knex defines `destroy` as a non-writable (but configurable) property.
  Object.defineProperty(db, 'destroy', {
    configurable: true,
    value: async (callback?: unknown) => {
      for (const close of closers.splice(0).reverse()) await close();
      return destroy(callback);
    },
  });
  companions.set(db, { dialect: dialectOf(url), url, closeWith: (close) => void closers.push(close) });
  return db;
}

export function companionsOf(db: Knex): KnexCompanions {
  const found = companions.get(db);
  if (!found) throw new Error('this knex client was not made by createKnex: its database URL is unknown');
  if (found.dialect === 'sqlite' && sqliteFilename(found.url) === ':memory:') {
    throw new Error('an in-memory SQLite database cannot be shared with a second connection: use a file');
  }
  return found;
}

type SqliteConnection = { pragma(statement: string): unknown };
type PreparingConnection = SqliteConnection & { prepare(sql: string): unknown };

function configureSqlite(connection: PreparingConnection, done: (error: Error | null, connection: unknown) => void) {
  configureSqliteConnection(connection);
  beginTransactionsWithTheWriteLock(connection);
  cachePreparedStatements(connection);
  done(null, connection);
}

/**
 * knex opens its SQLite transactions with a plain (deferred) `BEGIN;`. Such a transaction reads
 * first and asks for the write lock at its first write; if another process has committed since
 * its read, SQLite fails that write at once with "database is locked" (busy_timeout cannot help:
 * waiting would not make its read current). An inventory reservation (read the catalog, then
 * update it) would then fail on every retry while a second worker process keeps writing. Taken at
 * BEGIN instead, the write lock is waited for (busy_timeout) before anything is read.
 */
function beginTransactionsWithTheWriteLock(connection: PreparingConnection): void {
  const prepare = connection.prepare.bind(connection);
  connection.prepare = (sql: string) => prepare(sql === 'BEGIN;' ? 'BEGIN IMMEDIATE;' : sql);
}

/** Statements knex may reuse: data and transaction statements, never DDL (migrations) or pragmas. */
const reusableSql = /^\s*(select|insert|update|delete|with|replace|begin|commit|rollback|savepoint|release)\b/i;
const preparedStatementsKept = 500;

/**
 * knex's better-sqlite3 client prepares every query afresh, which costs more than running it. A
 * statement is reusable: knex runs it synchronously to the end (`all`/`run`) and binds its values
 * per call, so the connection keeps the statements it prepared, by SQL text, the least recently
 * used dropped first. SQLite re-prepares a kept statement itself when the schema changes.
 */
function cachePreparedStatements(connection: PreparingConnection): void {
  const prepare = connection.prepare.bind(connection);
  const kept = new Map<string, unknown>();
  connection.prepare = (sql: string) => {
    if (!reusableSql.test(sql)) return prepare(sql);
    let statement = kept.get(sql);
    if (statement) kept.delete(sql);
    else statement = prepare(sql);
    kept.set(sql, statement);
    if (kept.size > preparedStatementsKept) kept.delete(kept.keys().next().value!);
    return statement;
  };
}

/**
 * WAL lets readers run beside the single writer; busy_timeout makes a second process wait, not
 * fail. A 64 MB page cache and reads through mmap keep the indexes the hot path walks in memory:
 * SQLite's default 2 MB cache made every saga's appends and reads page through the OS (e2e bench,
 * SQLite: saga thread 2.51 → 2.22 ms CPU per saga).
 */
export function configureSqliteConnection(connection: SqliteConnection): void {
  connection.pragma('journal_mode = WAL');
  connection.pragma('synchronous = NORMAL');
  connection.pragma('busy_timeout = 5000');
  connection.pragma('foreign_keys = ON');
  connection.pragma('cache_size = -65536');
  connection.pragma('mmap_size = 268435456');
}
