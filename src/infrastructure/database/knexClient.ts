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

type SqliteConnection = { pragma(statement: string): unknown };

function configureSqlite(connection: SqliteConnection, done: (error: Error | null, connection: unknown) => void) {
  configureSqliteConnection(connection);
  done(null, connection);
}

/** WAL lets readers run beside the single writer; busy_timeout makes a second process wait, not fail. */
export function configureSqliteConnection(connection: SqliteConnection): void {
  connection.pragma('journal_mode = WAL');
  connection.pragma('synchronous = NORMAL');
  connection.pragma('busy_timeout = 5000');
  connection.pragma('foreign_keys = ON');
}
