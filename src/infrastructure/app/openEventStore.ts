import type { Config } from '../config/config';
import type { DatabaseLocations } from '../database/databases';
import { createSqlEventStore, type OpenedEventStore } from '../eventStore/createSqlEventStore';
import { EsdbCheckpointStore } from '../eventStore/esdb/esdbCheckpointStore';
import { createEsdbEventStore } from '../eventStore/esdb/esdbEventStore';

/**
 * The event store that EVENT_STORE names: the SQL table where DATABASE_URL puts it (default), or
 * EventStoreDB, which then also keeps the reactor's checkpoint (on a stream of its own).
 */
export function openEventStore(config: Config, locations: DatabaseLocations): OpenedEventStore {
  if (config.eventStore.kind === 'sql') return createSqlEventStore(locations);
  const store = createEsdbEventStore(config.eventStore.connectionString);
  return { eventStore: store, checkpoints: new EsdbCheckpointStore(store.client), close: () => store.close() };
}
