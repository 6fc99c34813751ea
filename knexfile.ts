import { migrationSource } from './src/infrastructure/database/migrate';
import { loadConfig } from './src/infrastructure/config/config';
import { dialectOf, sqliteFilename } from './src/infrastructure/database/knexClient';

/** For the knex CLI (`npx knex --knexfile knexfile.ts migrate:status`); the service uses `fulfillment migrate`. */
const { databaseUrl } = loadConfig();

export default dialectOf(databaseUrl) === 'sqlite'
  ? {
      client: 'better-sqlite3',
      connection: { filename: sqliteFilename(databaseUrl) },
      useNullAsDefault: true,
      migrations: { migrationSource },
    }
  : { client: 'mysql2', connection: databaseUrl, migrations: { migrationSource } };
