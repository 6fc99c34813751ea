import type { Migration } from '../migration';

/**
 * Who follows which saga partition (src/application/partitions).
 *
 * - `partition_leases`: one row per (follower, partition) — `sagaReactor` or a projection's name.
 *   `owner` holds it until `expires_at_ms` (the database's clock, in ms), renewing it; `token` is
 *   the fencing token, raised by every change of owner, so a copy that lost the lease while paused
 *   cannot pass for its owner.
 * - `partition_members`: the live copies of each follower (a heartbeat with an expiry), so that
 *   each takes its fair share, ⌈partitions / copies⌉.
 * - `deployment_settings`: SAGA_PARTITIONS as the first process recorded it: every copy compares
 *   its own with it, and refuses to start on a mismatch.
 */
export const partitionLeasesMigration: Migration = {
  name: '006_partition_leases',
  async up(db) {
    await db.schema.createTable('partition_leases', (table) => {
      table.string('follower', 100).notNullable();
      table.integer('saga_partition').unsigned().notNullable();
      table.string('owner', 200).nullable();
      table.bigInteger('token').unsigned().notNullable().defaultTo(0);
      table.bigInteger('expires_at_ms').notNullable().defaultTo(0);
      table.primary(['follower', 'saga_partition']);
    });
    await db.schema.createTable('partition_members', (table) => {
      table.string('follower', 100).notNullable();
      table.string('owner', 200).notNullable();
      table.bigInteger('expires_at_ms').notNullable();
      table.primary(['follower', 'owner']);
    });
    await db.schema.createTable('deployment_settings', (table) => {
      table.string('name', 100).primary();
      table.string('value', 200).notNullable();
    });
  },
  async down(db) {
    await db.schema.dropTableIfExists('deployment_settings');
    await db.schema.dropTableIfExists('partition_members');
    await db.schema.dropTableIfExists('partition_leases');
  },
};
