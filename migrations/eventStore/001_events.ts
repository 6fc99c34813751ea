import type { Knex } from 'knex';
import type { Migration } from '../migration';

/**
 * The event log and its subscribers' checkpoints.
 *
 * `position` is the global order (auto-increment, only grows, may have holes where an append was
 * rolled back). `data` and `metadata` are plain text holding JSON rather than MariaDB's JSON type:
 * its CHECK (json_valid) would parse every event a second time on insert, and the adapters parse
 * and validate what they read anyway (a bad row becomes an EventDecodingError naming it).
 *
 * On MariaDB, `events_append_lock` is the one-row lock that makes reading the global order
 * gap-safe: see src/infrastructure/eventStore/mysqlEventStore.ts. SQLite has a single writer, so
 * commit order already is position order there.
 */
const isMysql = (db: Knex) => /mysql/.test(String(db.client.config.client));

export const eventsMigration: Migration = {
  name: '001_events',
  async up(db) {
    const mysql = isMysql(db);
    await db.schema.createTable('events', (table) => {
      table.bigIncrements('position').primary();
      table.string('stream_id', 200).notNullable();
      table.integer('stream_revision').unsigned().notNullable();
      table.string('event_id', 64).notNullable().unique('events_event_id_unique');
      table.string('type', 100).notNullable();
      table.integer('schema_version').unsigned().notNullable();
      if (mysql) table.text('data', 'longtext').notNullable();
      else table.text('data').notNullable();
      table.text('metadata').notNullable();
      table.datetime('occurred_at', { precision: 3 }).notNullable();
      table.unique(['stream_id', 'stream_revision'], { indexName: 'events_stream_revision_unique' });
    });
    await db.schema.createTable('subscription_checkpoints', (table) => {
      table.string('subscriber', 200).primary();
      table.bigInteger('position').unsigned().notNullable();
      table.datetime('updated_at', { precision: 3 }).notNullable();
    });
    if (mysql) {
      await db.schema.createTable('events_append_lock', (table) => {
        table.tinyint('id').unsigned().primary();
      });
      await db('events_append_lock').insert({ id: 1 });
    }
  },
  async down(db) {
    await db.schema.dropTableIfExists('events_append_lock');
    await db.schema.dropTableIfExists('subscription_checkpoints');
    await db.schema.dropTableIfExists('events');
  },
};
