import type { Knex } from 'knex';
import {
  orderFulfillmentSagasProjection,
  orderFulfillmentSagasProjectionName,
} from '../../application/projections/orderFulfillmentSagasProjection';
import { projectionConsumer } from '../../application/projections/projection';
import type { EventStore, RecordedEvent } from '../../application/ports/eventStore';
import { knexSagaSummaryWriter } from './knexSagaSummaryWriter';
import {
  checkpointsTable,
  isMysql,
  knexSagaProjectionStorage,
  loadProjectionCheckpoint,
  storeProjectionCheckpoint,
  withProjectionLock,
} from './knexProjectionStorage';
import { createTableLike } from './rebuildTable';
import { liveSagasTable } from './sagaSummaryRows';
import { writtenSummaries, type WrittenSummaries } from './writtenSummaries';

/**
 * `projections rebuild`: replays the whole event store into a fresh copy of the read model and
 * swaps it in, while the live table keeps answering.
 *
 * 1. The copy (`<table>__rebuild`) has its own checkpoint, stored with its rows batch by batch, so
 *    an interrupted rebuild resumes where it stopped.
 * 2. Once caught up, the swap holds the live projection's lock (SQLite's write lock, MariaDB's
 *    named lock that live batches also take), replays whatever arrived meanwhile, moves the live
 *    checkpoint to the copy's and swaps: one transaction copying the rows on SQLite, an atomic
 *    RENAME TABLE on MariaDB. A live follower still running then re-reads events the copy already
 *    holds; each row's `last_position` makes it skip them.
 */
export type RebuildProgress = Readonly<{ position: number; headPosition: number; eventsApplied: number }>;

export type RebuildOptions = Readonly<{
  serviceDb: Knex;
  eventStore: EventStore;
  /** The log's last position, for progress; 0 when unknown. */
  headPosition: () => Promise<number>;
  batchSize?: number;
  onProgress?: (progress: RebuildProgress) => void;
}>;

export type RebuildResult = Readonly<{ position: number; eventsApplied: number; resumedFrom: number }>;

export const rebuildableProjections = [orderFulfillmentSagasProjectionName] as const;

const projection = orderFulfillmentSagasProjection;
const rebuildTable = `${liveSagasTable}__rebuild`;
const rebuildCheckpoint = `${projection.name}__rebuild`;

export async function rebuildSagasProjection(options: RebuildOptions): Promise<RebuildResult> {
  const { serviceDb, eventStore } = options;
  const batchSize = options.batchSize ?? 2000;
  const resumedFrom = await prepareRebuildTable(serviceDb);
  // From position 0 the table is empty (its rows and checkpoint commit together).
  const written = writtenSummaries({ complete: resumedFrom === 0 });
  const consumer = projectionConsumer(
    projection,
    knexSagaProjectionStorage(serviceDb, rebuildTable, written.wrap),
    rebuildCheckpoint,
  );

  let position = resumedFrom;
  let eventsApplied = 0;
  const headPosition = await options.headPosition();
  for (;;) {
    const events = await eventStore.readAll({ after: position, maxCount: batchSize });
    if (events.length === 0) break;
    await consumer.handleBatch(events);
    position = events.at(-1)!.position;
    eventsApplied += events.length;
    options.onProgress?.({ position, headPosition: Math.max(headPosition, position), eventsApplied });
  }
  const final = await swapIn(serviceDb, eventStore, batchSize, written);
  eventsApplied += final.eventsApplied;
  return { position: Math.max(position, final.position), eventsApplied, resumedFrom };
}

/** Resumes a rebuild whose table and checkpoint both exist; otherwise starts from an empty copy. */
async function prepareRebuildTable(db: Knex): Promise<number> {
  const checkpoint = await db(checkpointsTable).where({ name: rebuildCheckpoint }).first();
  if (checkpoint && (await db.schema.hasTable(rebuildTable))) return Number(checkpoint.position);
  await db(checkpointsTable).where({ name: rebuildCheckpoint }).delete();
  await createTableLike(db, liveSagasTable, rebuildTable);
  await storeProjectionCheckpoint(db, rebuildCheckpoint, 0);
  return 0;
}

async function swapIn(db: Knex, eventStore: EventStore, batchSize: number, written: WrittenSummaries) {
  return db.transaction((trx) =>
    withProjectionLock(trx, liveSagasTable, async () => {
      // Takes SQLite's write lock first, so no live batch commits from here to the swap.
      let position = await loadProjectionCheckpoint(trx, rebuildCheckpoint);
      await storeProjectionCheckpoint(trx, rebuildCheckpoint, position);
      const caughtUp = await replayRemainder(trx, eventStore, position, batchSize, written);
      position = caughtUp.position;
      await storeProjectionCheckpoint(trx, projection.name, position);
      // The live copies' partition checkpoints too: the swapped-in table holds every partition up to here.
      await trx(checkpointsTable).where('name', 'like', `${projection.name}/%`).update({ position });
      await trx(checkpointsTable).where({ name: rebuildCheckpoint }).delete();
      if (isMysql(trx)) {
        const retired = `${liveSagasTable}__retired`;
        await trx.schema.dropTableIfExists(retired);
        // Commits the transaction above (DDL does), still under the named lock.
        await trx.raw('RENAME TABLE ?? TO ??, ?? TO ??', [liveSagasTable, retired, rebuildTable, liveSagasTable]);
        await trx.schema.dropTable(retired);
      } else {
        await trx(liveSagasTable).delete();
        await trx.raw('INSERT INTO ?? SELECT * FROM ??', [liveSagasTable, rebuildTable]);
        await trx.schema.dropTable(rebuildTable);
      }
      return caughtUp;
    }),
  );
}

async function replayRemainder(
  trx: Knex.Transaction,
  eventStore: EventStore,
  after: number,
  batchSize: number,
  written: WrittenSummaries,
) {
  const handled = new Set<string>(projection.canHandle);
  const writer = written.wrap(knexSagaSummaryWriter(trx, rebuildTable));
  let position = after;
  let eventsApplied = 0;
  for (;;) {
    const events: RecordedEvent[] = await eventStore.readAll({ after: position, maxCount: batchSize });
    if (events.length === 0) return { position, eventsApplied };
    const relevant = events.filter((event) => handled.has(event.type));
    if (relevant.length > 0) await projection.handle(relevant, writer);
    position = events.at(-1)!.position;
    eventsApplied += events.length;
  }
}
