import type { Knex } from 'knex';
import { migrations } from '../../../migrations';

/**
 * Migrations are listed in code (migrations/index.ts) rather than discovered on disk, so that they
 * run the same under tsx, jest and compiled JavaScript.
 */
export const migrationSource: Knex.MigrationSource<(typeof migrations)[number]> = {
  getMigrations: async () => [...migrations],
  getMigrationName: (migration) => migration.name,
  getMigration: async (migration) => migration,
};

export async function migrateToLatest(db: Knex): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({ migrationSource })) as [number, string[]];
  return applied;
}
