import type { Knex } from 'knex';
import { partitionKeyOf, sagaHash } from '../../src/application/partitions/sagaPartitions';
import type { Migration } from '../migration';

/**
 * Each event's saga hash, which places it in a saga partition (src/application/partitions): a
 * partitioned reactor or projection copy reads `WHERE saga_hash % <partitions> IN (<its own>)`.
 * The hash, not the partition, is stored, so changing SAGA_PARTITIONS rewrites no event. Events
 * stored before this migration get theirs here, computed from their saga id as an append does.
 */
const batchSize = 2_000;

export const sagaHashMigration: Migration = {
  name: '003_saga_hash',
  async up(db) {
    await db.schema.alterTable('events', (table) => {
      table.integer('saga_hash').unsigned().notNullable().defaultTo(0);
    });
    await backfill(db);
  },
  async down(db) {
    await db.schema.alterTable('events', (table) => {
      table.dropColumn('saga_hash');
    });
  },
};

async function backfill(db: Knex): Promise<void> {
  for (let after = 0; ;) {
    const rows: { position: number; stream_id: string; data: string }[] = await db('events')
      .select('position', 'stream_id', 'data')
      .where('position', '>', after)
      .orderBy('position')
      .limit(batchSize);
    if (rows.length === 0) return;
    await db.transaction(async (trx) => {
      for (const row of rows) {
        const hash = sagaHash(partitionKeyOf({ data: parsed(row.data) }, row.stream_id));
        await trx('events').where({ position: row.position }).update({ saga_hash: hash });
      }
    });
    after = Number(rows.at(-1)!.position);
  }
}

const parsed = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // an unreadable event keeps hash 0; the followers stop on it when they read it
  }
};
