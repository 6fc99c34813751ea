import type Database from 'better-sqlite3';
import type { Pool } from 'mysql2/promise';
import type { CheckpointStore } from '../../application/ports/checkpointStore';
import { LeaseLostError } from '../../application/ports/partitionLeases';
import { partitionCheckpointsStatement, type CheckpointTable } from '../database/fencedCheckpoints';
import { isNotNullViolation } from '../database/notNullViolation';

/** Subscriber checkpoints in `subscription_checkpoints`, beside the events they point into. */

const checkpointTable: CheckpointTable = {
  table: 'subscription_checkpoints',
  key: 'subscriber',
  updatedAt: 'updated_at',
};

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
    // The leases are in the service file: one process owns both, and their local expiry fences it.
    storePartitions: async (checkpoints, position) => {
      if (checkpoints.leases.length === 0) return;
      const { sql, params } = partitionCheckpointsStatement('sqlite', checkpointTable, checkpoints, position, {
        fenced: false,
      });
      db.prepare(sql).run(...params);
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
    storePartitions: async (checkpoints, position) => {
      if (checkpoints.leases.length === 0) return;
      const { sql, params } = partitionCheckpointsStatement('mysql', checkpointTable, checkpoints, position);
      try {
        await pool.query(sql, [...params]);
      } catch (error) {
        if (!isNotNullViolation(error)) throw error;
        throw new LeaseLostError(
          checkpoints.follower,
          checkpoints.leases.map((lease) => lease.partition),
        );
      }
    },
  };
}

const sqlNow = () => new Date().toISOString().slice(0, 23).replace('T', ' ');
