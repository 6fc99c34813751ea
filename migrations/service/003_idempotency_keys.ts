import type { Migration } from '../migration';

/**
 * HTTP `Idempotency-Key`s: the first response to each (caller, key), replayed to a retry with the
 * same request, refused (422) for a different one. `response_status` is null while the first
 * request is still running.
 */
export const idempotencyKeysMigration: Migration = {
  name: '003_idempotency_keys',
  async up(db) {
    await db.schema.createTable('idempotency_keys', (table) => {
      // sha256 of the caller's token and the key: neither is stored in clear.
      table.string('key_hash', 64).primary();
      table.string('request_hash', 64).notNullable();
      table.integer('response_status').nullable();
      table.text('response_body').nullable();
      table.datetime('created_at', { precision: 3 }).notNullable().index('idempotency_keys_created_at_index');
    });
  },
  async down(db) {
    await db.schema.dropTableIfExists('idempotency_keys');
  },
};
