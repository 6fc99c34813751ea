import type { Knex } from 'knex';
import type { SagaSummaryWriter } from '../../application/projections/orderFulfillmentSagasProjection';
import type { ProjectionStorage } from '../../application/projections/projection';
import { knexSagaSummaryWriter } from './knexSagaSummaryWriter';

export const isMysql = (db: Knex | Knex.Transaction) => /mysql/.test(String(db.client.config.client));

export const checkpointsTable = 'projection_checkpoints';

export async function loadProjectionCheckpoint(db: Knex | Knex.Transaction, name: string): Promise<number> {
  const row = await db(checkpointsTable).where({ name }).first<{ position: number | string } | undefined>();
  return row ? Number(row.position) : 0;
}

export async function storeProjectionCheckpoint(
  db: Knex | Knex.Transaction,
  name: string,
  position: number,
): Promise<void> {
  await db(checkpointsTable).insert({ name, position }).onConflict('name').merge();
}

/**
 * On MariaDB a projection's batches and a rebuild's swap take one named lock, so no batch commits
 * into the live table between the rebuild's last catch-up and its RENAME (see projectionRebuild.ts).
 * SQLite's single writer lock does the same job there.
 */
export const projectionLockName = (table: string) => `projection:${table}`;
export const lockTimeoutSeconds = 60;

export async function withProjectionLock<T>(trx: Knex.Transaction, table: string, work: () => Promise<T>): Promise<T> {
  if (!isMysql(trx)) return work();
  const [rows] = (await trx.raw('SELECT GET_LOCK(?, ?) AS acquired', [
    projectionLockName(table),
    lockTimeoutSeconds,
  ])) as [{ acquired: number | null }[]];
  if (rows[0]?.acquired !== 1) {
    throw new Error(
      `projection lock ${projectionLockName(table)} not acquired within ${lockTimeoutSeconds}s: is a rebuild swap stuck?`,
    );
  }
  try {
    return await work();
  } finally {
    await trx.raw('SELECT RELEASE_LOCK(?)', [projectionLockName(table)]);
  }
}

/**
 * Rows and checkpoint of the sagas projection in one transaction, on `table`. `wrapWriter`
 * decorates each batch's writer (a rebuild remembers what it wrote, see writtenSummaries.ts).
 */
export function knexSagaProjectionStorage(
  db: Knex,
  table: string,
  wrapWriter: (writer: SagaSummaryWriter) => SagaSummaryWriter = (writer) => writer,
): ProjectionStorage<SagaSummaryWriter> {
  return {
    loadCheckpoint: (checkpointName) => loadProjectionCheckpoint(db, checkpointName),
    transaction: (checkpoint, position, work) => {
      if (typeof checkpoint !== 'string') {
        throw new Error('the knex projection storage serves rebuilds and tests, which follow every partition at once');
      }
      return db.transaction((trx) =>
        withProjectionLock(trx, table, async () => {
          await work(wrapWriter(knexSagaSummaryWriter(trx, table)));
          await storeProjectionCheckpoint(trx, checkpoint, position);
        }),
      );
    },
  };
}
