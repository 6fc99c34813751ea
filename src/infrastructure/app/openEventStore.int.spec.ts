import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/config';
import { databaseLocations, migrateAll } from '../database/databases';
import { EsdbCheckpointStore } from '../eventStore/esdb/esdbCheckpointStore';
import { EsdbEventStore } from '../eventStore/esdb/esdbEventStore';
import { SqliteEventStore } from '../eventStore/sqliteEventStore';
import { openEventStore } from './openEventStore';

describe('openEventStore', () => {
  it('opens EventStoreDB, with its checkpoints on a stream, when EVENT_STORE=esdb', async () => {
    const config = loadConfig({ EVENT_STORE: 'esdb', EVENTSTORE_CONNECTION_STRING: 'esdb://127.0.0.1:2113?tls=false' });
    const opened = openEventStore(config, databaseLocations(config.databaseUrl));
    expect(opened.eventStore).toBeInstanceOf(EsdbEventStore);
    expect(opened.checkpoints).toBeInstanceOf(EsdbCheckpointStore);
    await opened.close();
  });

  it('opens the SQL store where DATABASE_URL puts it by default', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'open-event-store-'));
    const config = loadConfig({ DATABASE_URL: `sqlite:${join(folder, 'service.sqlite')}` });
    await migrateAll(databaseLocations(config.databaseUrl));
    const opened = openEventStore(config, databaseLocations(config.databaseUrl));
    expect(opened.eventStore).toBeInstanceOf(SqliteEventStore);
    await expect(opened.eventStore.headPosition()).resolves.toBe(0);
    await opened.close();
    rmSync(folder, { recursive: true, force: true });
  });
});
