import type { Migration } from '../migration';
import { eventsMigration } from './001_events';
import { queueJobsMigration } from './002_queue_jobs';
import { sagaHashMigration } from './003_saga_hash';

/**
 * The event store's schema: events, subscriber checkpoints and the embedded job queue. On SQLite
 * this lives in its own file (see src/infrastructure/database/databases.ts); on MariaDB in the
 * service database. Add new migrations at the end; never edit or reorder one that has shipped.
 */
export const eventStoreMigrations: readonly Migration[] = [eventsMigration, queueJobsMigration, sagaHashMigration];
