import type { Migration } from '../migration';

/**
 * Sagas the reactor stopped because their stored form cannot be restored (another machine
 * version, a snapshot or a history that does not replay): one row each, with the reason, until a
 * version that can restore them resumes them. `/readyz` details and `/metrics` read it.
 */
export const stoppedSagasMigration: Migration = {
  name: '004_stopped_sagas',
  async up(db) {
    await db.schema.createTable('stopped_sagas', (table) => {
      table.string('saga_id', 64).primary();
      table.text('reason').notNullable();
      table.datetime('stopped_at', { precision: 3 }).notNullable();
    });
  },
  async down(db) {
    await db.schema.dropTableIfExists('stopped_sagas');
  },
};
