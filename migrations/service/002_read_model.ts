import type { Migration } from '../migration';

/**
 * The `order_fulfillment_sagas` read model (SPEC §6) and the checkpoints of the projections that
 * keep read models, each written in the same transaction as its rows.
 *
 * `id` is the global position of the saga's OrderCreated event rather than an auto-increment:
 * rebuilding the projection then yields exactly the same rows, ids included (SPEC §9.5), and
 * ordering by id is ordering by when the order was placed. `last_position` is the position of
 * the last event folded into the row; a replayed event at or below it is ignored.
 */
export const readModelMigration: Migration = {
  name: '002_read_model',
  async up(db) {
    await db.schema.createTable('order_fulfillment_sagas', (table) => {
      table.bigInteger('id').unsigned().primary();
      table.string('saga_uuid', 36).notNullable().unique('order_fulfillment_sagas_saga_uuid_unique');
      table.string('order_uuid', 36).notNullable().index('order_fulfillment_sagas_order_uuid_index');
      table.string('state', 32).notNullable();
      table.text('compensation_stack').notNullable();
      table.string('current_step', 32).nullable();
      table.string('failed_step', 32).nullable();
      table.string('failure_code', 64).nullable();
      table.text('failure_reason').nullable();
      table.string('failed_compensation', 32).nullable();
      table.integer('failed_compensation_round').nullable();
      table.boolean('operator_action_pending').notNullable().defaultTo(false);
      table.boolean('cancellation_requested').notNullable().defaultTo(false);
      table.text('resolution_note').nullable();
      table.datetime('started_at', { precision: 3 }).notNullable();
      table.datetime('completed_at', { precision: 3 }).nullable();
      table.datetime('created_at', { precision: 3 }).notNullable();
      table.datetime('updated_at', { precision: 3 }).notNullable();
      table.bigInteger('last_position').unsigned().notNullable();
      table.index(['state', 'id'], 'order_fulfillment_sagas_state_index');
    });
    await db.schema.createTable('projection_checkpoints', (table) => {
      table.string('name', 200).primary();
      table.bigInteger('position').unsigned().notNullable();
    });
  },
  async down(db) {
    await db.schema.dropTableIfExists('projection_checkpoints');
    await db.schema.dropTableIfExists('order_fulfillment_sagas');
  },
};
