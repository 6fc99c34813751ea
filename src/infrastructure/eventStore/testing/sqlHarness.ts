import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CheckpointStore } from '../../../application/ports/checkpointStore';
import type { EventStore } from '../../../application/ports/eventStore';
import { databaseLocations, migrateAll } from '../../database/databases';
import { sqliteFilename } from '../../database/knexClient';
import { createMysqlTestDatabase } from '../../../testing/testServices';
import type { EventStoreHarness, UndecodableKind } from '../eventStore.contract';
import { MysqlEventStore, type MysqlEventStoreOptions } from '../mysqlEventStore';
import { mysqlCheckpointStore, sqliteCheckpointStore } from '../sqlCheckpointStore';
import { SqliteEventStore } from '../sqliteEventStore';
import { sampleSagaEvents } from './sampleEvents';

/** Contract-suite harnesses for the two SQL adapters, on fresh storage each. */

type Opened = { store: EventStore; checkpoints: CheckpointStore };

const undecodableRow = (stream: string, kind: UndecodableKind) => {
  const [event] = sampleSagaEvents(1);
  return [
    stream,
    event!.metadata.eventId,
    kind === 'unknown_type' ? 'OrderTeleported' : event!.type,
    kind === 'invalid_json' ? '{"sagaId": ' : JSON.stringify(event!.data),
  ];
};
const insertUndecodable = `INSERT INTO events (stream_id, stream_revision, event_id, type, schema_version, data, metadata, occurred_at)
  VALUES (?, 0, ?, ?, 1, ?, '{}', '2024-01-01 00:00:00.000')`;

function harnessOver<O extends Opened>(
  open: () => O,
  cleanupStorage: () => Promise<void>,
  rawInsert: (first: O, row: string[]) => Promise<number>,
) {
  const opened = [open()];
  const first = opened[0]!;
  return {
    ...first,
    storeUndecodableEvent: (stream: string, kind: UndecodableKind) => rawInsert(first, undecodableRow(stream, kind)),
    reopen: async () => {
      opened.push(open());
      return opened[opened.length - 1]!;
    },
    cleanup: async () => {
      for (const { store } of opened) await store.close();
      await cleanupStorage();
    },
  } satisfies EventStoreHarness;
}

/** The service's real two-file layout: the event log in `<name>.events.sqlite`. */
export async function sqliteHarness() {
  const folder = mkdtempSync(join(tmpdir(), 'event-store-'));
  const locations = databaseLocations(`sqlite:${join(folder, 'fulfillment.sqlite')}`);
  await migrateAll(locations);
  const filename = sqliteFilename(locations.eventStoreUrl);
  return harnessOver(
    () => {
      const store = SqliteEventStore.open(filename);
      return { store, checkpoints: sqliteCheckpointStore(store.db) };
    },
    async () => rmSync(folder, { recursive: true, force: true }),
    async ({ store }, row) => Number(store.db.prepare(insertUndecodable).run(...row).lastInsertRowid),
  );
}

/** A fresh MariaDB database; `open` makes further stores over it (closed by cleanup too). */
export async function mysqlHarness(options: MysqlEventStoreOptions = {}) {
  const database = await createMysqlTestDatabase({ migrate: ['eventStore'] });
  const extraStores: MysqlEventStore[] = [];
  const harness = harnessOver(
    () => {
      const store = MysqlEventStore.open(database.url, options);
      return { store, checkpoints: mysqlCheckpointStore(store.pool) };
    },
    async () => {
      for (const store of extraStores) await store.close();
      await database.drop();
    },
    async (_first, row) => {
      const [result] = await database.db.raw(insertUndecodable, row);
      return Number((result as { insertId: number }).insertId);
    },
  );
  const open = (storeOptions: MysqlEventStoreOptions = options) => {
    const store = MysqlEventStore.open(database.url, storeOptions);
    extraStores.push(store);
    return store;
  };
  return { ...harness, url: database.url, open, db: database.db };
}
