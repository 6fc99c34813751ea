/**
 * Event store throughput on SQLite and MariaDB, each figure beside the raw driver's rate for the
 * same rows measured in the same run (the raw side writes precomputed rows into its own copy of
 * the schema, so it pays neither validation nor serialisation).
 *
 *   npm run bench:eventstore      (needs MariaDB at TEST_MYSQL_URL, default root@127.0.0.1:3306)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createPool, type Pool } from 'mysql2/promise';
import type { EventStore, NewEvent } from '../src/application/ports/eventStore';
import { streamName } from '../src/domain/events';
import { databaseLocations, migrateAll } from '../src/infrastructure/database/databases';
import { configureSqliteConnection, sqliteFilename } from '../src/infrastructure/database/knexClient';
import { eventColumns, toNewEventRows, type EventRow } from '../src/infrastructure/eventStore/eventRows';
import { MysqlEventStore } from '../src/infrastructure/eventStore/mysqlEventStore';
import { SqliteEventStore } from '../src/infrastructure/eventStore/sqliteEventStore';
import { sampleFulfilmentLifecycle, sampleOrderCreated } from '../src/infrastructure/eventStore/testing/sampleEvents';
import { createMysqlTestDatabase } from '../src/testing/testServices';

const WRITERS = 16;
const READ_EVENTS = 100_000;
const READ_BATCH = 1_000;

type Append = { stream: string; events: NewEvent[] };
/** The raw side: one row's column values, in insert order. */
type RawRow = [string, number, string, string, number, string, string, string];

const insertSql = `INSERT INTO events (stream_id, stream_revision, event_id, type, schema_version, data, metadata, occurred_at) VALUES `;
const rowPlaceholders = '(?, ?, ?, ?, ?, ?, ?, ?)';

function makeAppends(count: number, eventsPerAppend: number): Append[] {
  return Array.from({ length: count }, () => {
    const first = sampleOrderCreated();
    const events = [
      first,
      ...Array.from({ length: eventsPerAppend - 1 }, () => sampleOrderCreated(first.data.orderId)),
    ];
    return { stream: streamName.order(first.data.orderId), events };
  });
}

const rawRowsOf = (append: Append): RawRow[] =>
  toNewEventRows(append.stream, append.events).map((row, revision) => [
    append.stream,
    revision,
    row.eventId,
    row.type,
    row.schemaVersion,
    row.data,
    row.metadata,
    row.occurredAt,
  ]);

/** Runs `work` over the items with `concurrency` loops; returns the seconds taken. */
async function timed<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<unknown>) {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
  return (performance.now() - started) / 1000;
}

/**
 * Alternates the store and the raw driver in rounds (who goes first alternating too), so that the
 * shared machine's noise weighs on both alike. Returns units per second for each.
 */
async function sideBySide<S, R>(
  rounds: number,
  store: { items: readonly S[]; work: (item: S) => Promise<unknown> },
  raw: { items: readonly R[]; work: (item: R) => Promise<unknown> },
  concurrency: number,
  unitsPerItem: number,
) {
  const chunk = <T>(items: readonly T[], round: number) =>
    items.slice(Math.floor((items.length * round) / rounds), Math.floor((items.length * (round + 1)) / rounds));
  let [storeSeconds, rawSeconds] = [0, 0];
  for (let round = 0; round < rounds; round++) {
    const runStore = async () => (storeSeconds += await timed(chunk(store.items, round), concurrency, store.work));
    const runRaw = async () => (rawSeconds += await timed(chunk(raw.items, round), concurrency, raw.work));
    if (round % 2 === 0) await runRaw().then(runStore);
    else await runStore().then(runRaw);
  }
  return {
    value: (store.items.length * unitsPerItem) / storeSeconds,
    baseline: (raw.items.length * unitsPerItem) / rawSeconds,
  };
}

type Figure = { name: string; unit: string; value: number; baseline: number; target?: number };
const figures: Figure[] = [];
function report(figure: Figure) {
  figures.push(figure);
  const ratio = figure.value / figure.baseline;
  console.log(
    `${figure.name.padEnd(52)} ${Math.round(figure.value).toString().padStart(8)} ${figure.unit.padEnd(9)}  raw ${Math.round(
      figure.baseline,
    )
      .toString()
      .padStart(8)}   ratio ${ratio.toFixed(2)}`,
  );
}

type ReadRange = Readonly<{ after: number; until: number }>;
type RawSide = {
  insert(rows: RawRow[]): Promise<unknown>;
  readBatch(after: number): Promise<EventRow[]>;
  maxPosition(): Promise<number>;
  /** Bulk-writes appends (not measured) for the read-all figures. */
  seed(appends: readonly Append[]): Promise<void>;
};

/** Reads (after, until] through the store; returns the number of events. */
async function readThroughStore(store: EventStore, { after, until }: ReadRange) {
  let count = 0;
  for (let position = after; position < until;) {
    const batch = await store.readAll({ after: position, maxCount: READ_BATCH });
    if (batch.length === 0) break;
    count += batch.filter((event) => event.position <= until).length;
    position = batch[batch.length - 1]!.position;
  }
  return count;
}

/** The same rows in the same batches straight from the driver, with JSON.parse of both JSON columns. */
async function readRaw(raw: RawSide, { after, until }: ReadRange) {
  let count = 0;
  for (let position = after; position < until;) {
    const rows = await raw.readBatch(position);
    if (rows.length === 0) break;
    for (const row of rows) {
      if (row.position > until) break;
      JSON.parse(row.data);
      JSON.parse(row.metadata);
      count++;
    }
    position = rows[rows.length - 1]!.position;
  }
  return count;
}

/** The measurements, the same for both databases. */
async function measure(
  label: string,
  store: EventStore,
  raw: RawSide,
  sizes: { sequential: number; concurrent: number; batched: number },
) {
  const appendOne = (append: Append) =>
    store.appendToStream(append.stream, append.events, { expectedRevision: 'no_stream' });
  const appends = (count: number, eventsPerAppend: number) => ({
    store: { items: makeAppends(count, eventsPerAppend), work: appendOne },
    raw: { items: makeAppends(count, eventsPerAppend).map(rawRowsOf), work: raw.insert },
  });

  const sequential = appends(sizes.sequential, 1);
  report({
    name: `${label} append 1 event, sequential`,
    unit: 'appends/s',
    ...(await sideBySide(4, sequential.store, sequential.raw, 1, 1)),
    target: 0.5,
  });
  const concurrent = appends(sizes.concurrent, 1);
  report({
    name: `${label} append 1 event, ${WRITERS} writers`,
    unit: 'appends/s',
    ...(await sideBySide(4, concurrent.store, concurrent.raw, WRITERS, 1)),
    target: 0.5,
  });
  const batched = appends(sizes.batched, 10);
  report({
    name: `${label} append 10 events, sequential`,
    unit: 'events/s',
    ...(await sideBySide(4, batched.store, batched.raw, 1, 10)),
  });

  // Read all: the OrderCreated rows written above (the heaviest schema to validate on read), then
  // at least READ_EVENTS events of whole order lifecycles as the service writes them.
  const orderCreatedRange = { after: 0, until: await raw.maxPosition() };
  const lifecycles = Math.ceil(READ_EVENTS / sampleFulfilmentLifecycle().flatMap((append) => append.events).length);
  await raw.seed(Array.from({ length: lifecycles }, () => sampleFulfilmentLifecycle()).flat());
  const lifecycleRange = { after: orderCreatedRange.until, until: await raw.maxPosition() };
  for (const [name, range, target] of [
    [`${label} read all, order lifecycles`, lifecycleRange, 0.5],
    [`${label} read all, OrderCreated only`, orderCreatedRange, undefined],
  ] as const) {
    let count = 0;
    const read = await sideBySide(
      2,
      { items: [range, range], work: async (r: ReadRange) => (count = await readThroughStore(store, r)) },
      { items: [range, range], work: (r: ReadRange) => readRaw(raw, r) },
      1,
      range.until - range.after,
    );
    // Positions are dense here (nothing rolled back), so the range size is the event count.
    if (count !== range.until - range.after)
      throw new Error(`read ${count} events, expected ${range.until - range.after}`);
    report({ name: `${name} (${count} events)`, unit: 'events/s', ...read, target });
  }
}

/** Rows for appends to streams that may repeat: revisions continue per stream. */
function seedRows(appends: readonly Append[]): RawRow[] {
  const next = new Map<string, number>();
  return appends.flatMap((append) =>
    rawRowsOf(append).map((row): RawRow => {
      const revision = next.get(append.stream) ?? 0;
      next.set(append.stream, revision + 1);
      return [row[0], revision, ...row.slice(2)] as RawRow;
    }),
  );
}

async function sqliteBench() {
  const folder = mkdtempSync(join(tmpdir(), 'event-store-bench-'));
  try {
    const storeLocations = databaseLocations(`sqlite:${join(folder, 'store.sqlite')}`);
    const rawLocations = databaseLocations(`sqlite:${join(folder, 'raw.sqlite')}`);
    await migrateAll(storeLocations);
    await migrateAll(rawLocations);
    const store = SqliteEventStore.open(sqliteFilename(storeLocations.eventStoreUrl));
    const rawDb = new Database(sqliteFilename(rawLocations.eventStoreUrl));
    configureSqliteConnection(rawDb);
    const insertRow = rawDb.prepare(insertSql + rowPlaceholders);
    const insertRows = rawDb.transaction((rows: RawRow[]) => rows.forEach((row) => insertRow.run(...row)));
    // Reads and seeding go to the store's file: both sides read the same rows.
    const readBatch = store.db.prepare(
      `SELECT ${eventColumns} FROM events WHERE position > ? ORDER BY position LIMIT ${READ_BATCH}`,
    );
    const seedRow = store.db.prepare(insertSql + rowPlaceholders);
    const seed = store.db.transaction((rows: RawRow[]) => rows.forEach((row) => seedRow.run(...row)));
    await measure(
      'SQLite',
      store,
      {
        insert: async (rows) => insertRows(rows),
        readBatch: async (after) => readBatch.all(after) as EventRow[],
        maxPosition: async () => store.db.prepare('SELECT MAX(position) FROM events').pluck().get() as number,
        seed: async (appends) => seed(seedRows(appends)),
      },
      { sequential: 20_000, concurrent: 20_000, batched: 4_000 },
    );
    await store.close();
    rawDb.close();
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

async function mysqlBench() {
  const storeDatabase = await createMysqlTestDatabase({ migrate: ['eventStore'] });
  const rawDatabase = await createMysqlTestDatabase({ migrate: ['eventStore'] });
  const store = MysqlEventStore.open(storeDatabase.url);
  const rawPool: Pool = createPool({
    uri: rawDatabase.url,
    connectionLimit: WRITERS,
    supportBigNumbers: true,
    timezone: 'Z',
  });
  const readPool: Pool = createPool({
    uri: storeDatabase.url,
    connectionLimit: 2,
    supportBigNumbers: true,
    timezone: 'Z',
  });
  const insertMany = (pool: Pool, rows: RawRow[]) =>
    pool.query(insertSql + rows.map(() => rowPlaceholders).join(', '), rows.flat());
  try {
    await measure(
      'MariaDB',
      store,
      {
        insert: (rows) => insertMany(rawPool, rows),
        readBatch: async (after) => {
          const [rows] = await readPool.query(
            `SELECT ${eventColumns} FROM events WHERE position > ? ORDER BY position LIMIT ?`,
            [after, READ_BATCH],
          );
          return rows as EventRow[];
        },
        maxPosition: async () => {
          const [rows] = await readPool.query('SELECT MAX(position) AS last FROM events');
          return Number((rows as { last: number }[])[0]!.last);
        },
        seed: async (appends) => {
          const rows = seedRows(appends);
          for (let index = 0; index < rows.length; index += 1_000)
            await insertMany(readPool, rows.slice(index, index + 1_000));
        },
      },
      { sequential: 3_000, concurrent: 8_000, batched: 600 },
    );
  } finally {
    await store.close();
    await rawPool.end();
    await readPool.end();
    await storeDatabase.drop();
    await rawDatabase.drop();
  }
}

async function main() {
  console.log(`Event store benchmark (raw = the driver inserting/reading the same rows, same run)\n`);
  await sqliteBench();
  await mysqlBench();
  console.log('');
  for (const figure of figures.filter((figure) => figure.target !== undefined)) {
    const ratio = Math.round((figure.value / figure.baseline) * 100) / 100;
    console.log(
      `RESULT ${JSON.stringify({
        name: figure.name,
        value: Math.round(figure.value),
        unit: figure.unit,
        baseline: Math.round(figure.baseline),
        ratio,
        target: `>= ${figure.target}x raw`,
        met: ratio >= figure.target!,
      })}`,
    );
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
