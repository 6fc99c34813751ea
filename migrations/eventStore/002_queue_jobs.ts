import type { Migration } from '../migration';

/**
 * The embedded job queue's table (src/infrastructure/queue/sqliteJobQueue.ts). It lives with the
 * event log so that a job the saga reactor handed over survives a crash, and a deadline survives a
 * restart. Times are epoch milliseconds. `available_at` is when a queued job may run next, or when
 * an active job's lease runs out (then another claim takes it over).
 */
export const queueJobsMigration: Migration = {
  name: '002_queue_jobs',
  async up(db) {
    await db.schema.createTable('queue_jobs', (table) => {
      table.string('job_id', 191).primary();
      table.text('job').notNullable();
      table.string('status', 16).notNullable();
      table.integer('attempt').notNullable().defaultTo(0);
      table.integer('max_attempts').notNullable();
      table.integer('backoff_ms').notNullable();
      table.bigInteger('available_at').notNullable();
      table.string('lease_owner', 64).nullable();
      table.text('last_error').nullable();
      table.bigInteger('created_at').notNullable();
      table.bigInteger('finished_at').nullable();
      table.index(['status', 'available_at'], 'queue_jobs_status_available_at');
    });
  },
  async down(db) {
    await db.schema.dropTable('queue_jobs');
  },
};
