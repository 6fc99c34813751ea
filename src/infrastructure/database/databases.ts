import type { Knex } from 'knex';
import { createKnex, dialectOf, type SqlDialect } from './knexClient';
import { migrateToLatest } from './migrate';

/**
 * Where each part keeps its data, from one DATABASE_URL.
 *
 * On MariaDB everything shares one database. On SQLite the event log (events, subscriber
 * checkpoints, the embedded job queue) gets a file of its own beside the service file
 * (`fulfillment.sqlite` → `fulfillment.events.sqlite`): it is written through better-sqlite3's
 * synchronous transactions for speed, and SQLite's single write lock must never be held by a knex
 * transaction that is awaiting something while a synchronous writer in the same process waits
 * for it — that would block the event loop that the knex transaction needs to finish.
 */
export type DatabaseLocations = Readonly<{ dialect: SqlDialect; serviceUrl: string; eventStoreUrl: string }>;

export function databaseLocations(databaseUrl: string): DatabaseLocations {
  const dialect = dialectOf(databaseUrl);
  if (dialect === 'mysql') return { dialect, serviceUrl: databaseUrl, eventStoreUrl: databaseUrl };
  const eventStoreUrl = databaseUrl.endsWith('.sqlite')
    ? databaseUrl.replace(/\.sqlite$/, '.events.sqlite')
    : `${databaseUrl}.events`;
  return { dialect, serviceUrl: databaseUrl, eventStoreUrl };
}

/** Applies both migration sets where they belong. */
export async function migrateAll(locations: DatabaseLocations): Promise<void> {
  const service = createKnex(locations.serviceUrl, { poolMax: 2 });
  try {
    await migrateToLatest(service, 'service');
    if (locations.eventStoreUrl === locations.serviceUrl) {
      await migrateToLatest(service, 'eventStore');
      return;
    }
  } finally {
    await service.destroy();
  }
  const eventStore = createKnex(locations.eventStoreUrl, { poolMax: 2 });
  try {
    await migrateToLatest(eventStore, 'eventStore');
  } finally {
    await eventStore.destroy();
  }
}

export type { Knex };
