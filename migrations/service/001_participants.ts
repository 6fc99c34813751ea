import type { Knex } from 'knex';
import type { Migration } from '../migration';

/**
 * The built-in participants' tables (SPEC §4). Each module owns its tables:
 * - catalog and inventory: `catalog_items`, `inventory_reservations` (one row per saga: the
 *   step's ledger) and `inventory_reservation_lines` (one row per saga and line);
 * - prescriptions: `prescriptions` (one row per saga);
 * - shipping: `shipments` (one row per saga).
 *
 * A ledger row per saga makes each operation idempotent: `status` says where the step stands
 * (its success, `rejected`, its compensation, or `tombstone` when a compensation came first) and
 * `outcome` holds the JSON answer the forward call gave, replayed verbatim on redelivery.
 */

const ledgerColumns = (table: Knex.CreateTableBuilder) => {
  table.string('saga_id', 64).primary();
  table.string('order_id', 64).notNullable().index();
  table.string('status', 16).notNullable();
  table.text('outcome').nullable();
  table.datetime('created_at', { precision: 3 }).notNullable();
  table.datetime('updated_at', { precision: 3 }).notNullable();
};

export const participantsMigration: Migration = {
  name: '001_participants',
  async up(db) {
    await db.schema.createTable('catalog_items', (table) => {
      table.string('sku', 64).primary();
      table.string('name', 200).notNullable();
      table.boolean('controlled').notNullable().defaultTo(false);
      table.integer('on_hand').notNullable();
      table.integer('reserved').notNullable().defaultTo(0);
      table.datetime('updated_at', { precision: 3 }).notNullable();
      // The last line of defence for `available = on_hand - reserved >= 0`.
      table.check('reserved >= 0 AND on_hand >= reserved', {}, 'catalog_items_stock_covers_reserved');
    });
    await db.schema.createTable('inventory_reservations', (table) => {
      ledgerColumns(table);
      table.string('reservation_id', 64).nullable();
    });
    await db.schema.createTable('inventory_reservation_lines', (table) => {
      table.string('saga_id', 64).notNullable();
      table.string('sku', 64).notNullable().index();
      table.integer('quantity').notNullable();
      table.string('status', 16).notNullable();
      table.primary(['saga_id', 'sku']);
    });
    await db.schema.createTable('prescriptions', (table) => {
      ledgerColumns(table);
      table.string('prescription_id', 64).nullable();
      table.string('patient_id', 64).nullable();
      table.string('prescriber_id', 64).nullable();
    });
    await db.schema.createTable('shipments', (table) => {
      ledgerColumns(table);
      table.string('shipment_id', 64).nullable();
      table.string('carrier', 64).nullable();
      table.string('tracking_number', 64).nullable();
      table.string('country', 2).nullable();
    });
  },
  async down(db) {
    for (const table of [
      'shipments',
      'prescriptions',
      'inventory_reservation_lines',
      'inventory_reservations',
      'catalog_items',
    ]) {
      await db.schema.dropTableIfExists(table);
    }
  },
};
