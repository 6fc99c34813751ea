import type { Knex } from 'knex';
import type { Migration } from '../../../migrations/migration';
import { eventStoreMigrations } from '../../../migrations/eventStore';
import { serviceMigrations } from '../../../migrations/service';

/**
 * Two migration lists, each with its own knex bookkeeping table, because on SQLite the event log
 * and the service tables live in separate files. On MariaDB both apply to one database.
 * They are listed in code rather than discovered on disk, so they run the same under tsx, jest
 * and compiled JavaScript.
 */
export type MigrationSet = 'eventStore' | 'service';

const sets: Record<MigrationSet, { list: readonly Migration[]; tableName: string }> = {
  eventStore: { list: eventStoreMigrations, tableName: 'knex_migrations_event_store' },
  service: { list: serviceMigrations, tableName: 'knex_migrations' },
};

export const migrationSource = (set: MigrationSet): Knex.MigrationSource<Migration> => ({
  getMigrations: async () => [...sets[set].list],
  getMigrationName: (migration) => migration.name,
  getMigration: async (migration) => migration,
});

export const migratorConfig = (set: MigrationSet): Knex.MigratorConfig => ({
  migrationSource: migrationSource(set),
  tableName: sets[set].tableName,
});

/** Applies what is missing of one set; returns the names applied. */
export async function migrateToLatest(db: Knex, set: MigrationSet): Promise<string[]> {
  const [, applied] = (await db.migrate.latest(migratorConfig(set))) as [number, string[]];
  return applied;
}
