import type { Migration } from '../migration';

/**
 * What the operator console and `fulfillment sagas tail` poll, read through indexes rather than
 * the whole table:
 * - `last_position` (the position of the last event folded into a row) orders the rows by when
 *   they last changed: GET /sagas/changes reads the rows changed after a cursor;
 * - `completed_at`: GET /sagas/throughput reads the sagas finished in the last minutes.
 * Named after the table, so a rebuild's copy of the table gets its own copy of each index.
 */
export const sagaChangesIndexesMigration: Migration = {
  name: '007_saga_changes_indexes',
  async up(db) {
    await db.schema.alterTable('order_fulfillment_sagas', (table) => {
      table.index(['last_position'], 'order_fulfillment_sagas_last_position_index');
      table.index(['completed_at'], 'order_fulfillment_sagas_completed_at_index');
    });
  },
  async down(db) {
    await db.schema.alterTable('order_fulfillment_sagas', (table) => {
      table.dropIndex(['last_position'], 'order_fulfillment_sagas_last_position_index');
      table.dropIndex(['completed_at'], 'order_fulfillment_sagas_completed_at_index');
    });
  },
};
