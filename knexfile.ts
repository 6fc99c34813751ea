import { loadConfig } from './src/infrastructure/config/config';
import { databaseLocations } from './src/infrastructure/database/databases';
import { migratorConfig } from './src/infrastructure/database/migrate';

/**
 * For the knex CLI (`npx knex --knexfile knexfile.ts migrate:status`) on the service tables; the
 * service itself migrates with `fulfillment migrate`, which also covers the event store's tables.
 */
const { serviceUrl, dialect } = databaseLocations(loadConfig().databaseUrl);

export default dialect === 'sqlite'
  ? {
      client: 'better-sqlite3',
      connection: { filename: serviceUrl.slice('sqlite:'.length) },
      useNullAsDefault: true,
      migrations: migratorConfig('service'),
    }
  : { client: 'mysql2', connection: serviceUrl, migrations: migratorConfig('service') };
