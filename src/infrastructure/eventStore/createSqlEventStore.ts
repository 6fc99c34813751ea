import type { CheckpointStore } from '../../application/ports/checkpointStore';
import type { EventStore } from '../../application/ports/eventStore';
import type { DatabaseLocations } from '../database/databases';
import { dialectOf, sqliteFilename } from '../database/knexClient';
import { MysqlEventStore } from './mysqlEventStore';
import { mysqlCheckpointStore, sqliteCheckpointStore } from './sqlCheckpointStore';
import { SqliteEventStore } from './sqliteEventStore';

export type OpenedEventStore = Readonly<{
  eventStore: EventStore;
  /** Checkpoints of subscribers that keep theirs beside the events (the saga reactor). */
  checkpoints: CheckpointStore;
  close(): Promise<void>;
}>;

/**
 * The SQL event store where `databaseLocations()` puts it: its own SQLite file on the embedded
 * default, the service database on MariaDB. A string is the event store's URL itself
 * (`DatabaseLocations.eventStoreUrl`). Migrate first (`migrateAll`): this opens, it does not create.
 */
export function createSqlEventStore(
  location: Pick<DatabaseLocations, 'eventStoreUrl'> | string,
  options: Readonly<{ connectionLimit?: number }> = {},
): OpenedEventStore {
  const url = typeof location === 'string' ? location : location.eventStoreUrl;
  if (dialectOf(url) === 'sqlite') {
    const store = SqliteEventStore.open(sqliteFilename(url));
    return { eventStore: store, checkpoints: sqliteCheckpointStore(store.db), close: () => store.close() };
  }
  const store = MysqlEventStore.open(url, options);
  return { eventStore: store, checkpoints: mysqlCheckpointStore(store.pool), close: () => store.close() };
}
