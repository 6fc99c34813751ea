import { randomBytes } from 'node:crypto';
import { rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { createKnex } from '../infrastructure/database/knexClient';
import { migrateToLatest, type MigrationSet } from '../infrastructure/database/migrate';

/**
 * Real services for integration tests. Each call makes its own MariaDB database or Redis key
 * prefix, so reruns and parallel test files never see each other's data. A service that is not
 * reachable fails the test with a message saying how to start it: tests never skip.
 */

export const testMysqlServerUrl = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
export const testRedisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const uniqueSuffix = () => `${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;

export type TestDatabase = Readonly<{ url: string; db: Knex; drop(): Promise<void> }>;

/** Which migration sets to apply to a test database (both by default), and on which server. */
type TestDatabaseOptions = { migrate?: readonly MigrationSet[]; serverUrl?: string };
const applyMigrations = async (db: Knex, options: TestDatabaseOptions) => {
  for (const set of options.migrate ?? ['service', 'eventStore']) await migrateToLatest(db, set);
};

/** A fresh, migrated MariaDB database named `t_<unique>`; `drop()` removes it. */
export async function createMysqlTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const serverUrl = options.serverUrl ?? testMysqlServerUrl;
  const server = new URL(serverUrl);
  const admin = createKnex(serverUrl, { poolMax: 1 });
  const name = `t_${uniqueSuffix()}`;
  try {
    await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  } catch (error) {
    await admin.destroy();
    throw new Error(
      `MariaDB is not reachable at ${serverUrl} (${(error as Error).message}). ` +
        'Start it (see README, "Running the tests") or point TEST_MYSQL_URL at one.',
      { cause: error },
    );
  }
  server.pathname = `/${name}`;
  const url = server.toString();
  const db = createKnex(url);
  await applyMigrations(db, options);
  return {
    url,
    db,
    drop: async () => {
      await db.destroy();
      await admin.raw(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.destroy();
    },
  };
}

/**
 * A fresh, migrated SQLite file in a temporary folder; `drop()` removes the folder. Both migration
 * sets go into the one file unless told otherwise; `databaseLocations(url)` gives the service's
 * real two-file layout for tests that start the whole service.
 */
export async function createSqliteTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const folder = mkdtempSync(join(tmpdir(), 'fulfillment-test-'));
  const url = `sqlite:${join(folder, 'test.sqlite')}`;
  const db = createKnex(url);
  await applyMigrations(db, options);
  return {
    url,
    db,
    drop: async () => {
      await db.destroy();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

export type TestDatabaseKind = 'sqlite' | 'mysql';
export const createTestDatabase = (kind: TestDatabaseKind, options?: TestDatabaseOptions) =>
  kind === 'sqlite' ? createSqliteTestDatabase(options) : createMysqlTestDatabase(options);

/** A Redis key prefix no other run uses, e.g. for BullMQ's `prefix` option. */
export const uniqueRedisPrefix = (label: string) => `test-${label}-${uniqueSuffix()}`;
