import type Database from 'better-sqlite3';
import type { Pool } from 'mysql2/promise';
import type { CheckpointStore } from '../../application/ports/checkpointStore';

/** Subscriber checkpoints in `subscription_checkpoints`, beside the events they point into. */

export function sqliteCheckpointStore(db: Database.Database): CheckpointStore {
  const load = db
    .prepare<[string], number>('SELECT position FROM subscription_checkpoints WHERE subscriber = ?')
    .pluck();
  const store = db.prepare<[string, number, string]>(
    `INSERT INTO subscription_checkpoints (subscriber, position, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (subscriber) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at`,
  );
  return {
    load: async (subscriber) => load.get(subscriber) ?? 0,
    store: async (subscriber, position) => {
      store.run(subscriber, position, sqlNow());
    },
  };
}

export function mysqlCheckpointStore(pool: Pool): CheckpointStore {
  return {
    load: async (subscriber) => {
      const [rows] = await pool.query('SELECT position FROM subscription_checkpoints WHERE subscriber = ?', [
        subscriber,
      ]);
      return Number((rows as { position: number }[])[0]?.position ?? 0);
    },
    store: async (subscriber, position) => {
      await pool.query(
        `INSERT INTO subscription_checkpoints (subscriber, position, updated_at) VALUES (?, ?, ?)
         ON DUPLICATE KEY UPDATE position = VALUES(position), updated_at = VALUES(updated_at)`,
        [subscriber, position, sqlNow()],
      );
    },
  };
}

const sqlNow = () => new Date().toISOString().slice(0, 23).replace('T', ' ');
