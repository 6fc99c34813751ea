import type { Migration } from '../migration';

/**
 * Lets the saga reconciler find, once per interval, the sagas that wait for a job and have not
 * moved for a while (`current_step` set, `updated_at` old) by reading only the rows of sagas in
 * flight: every finished saga's `current_step` is null, so it sits before the index's range.
 * Named after the table, so a rebuild's copy of the table gets its own copy of the index.
 */
export const waitingSagasIndexMigration: Migration = {
  name: '005_waiting_sagas_index',
  async up(db) {
    await db.schema.alterTable('order_fulfillment_sagas', (table) => {
      table.index(['current_step', 'updated_at'], 'order_fulfillment_sagas_waiting_index');
    });
  },
  async down(db) {
    await db.schema.alterTable('order_fulfillment_sagas', (table) => {
      table.dropIndex(['current_step', 'updated_at'], 'order_fulfillment_sagas_waiting_index');
    });
  },
};
