/**
 * CPU per saga of the service file's hot path, called directly through the ports (no queue, no
 * event store): the three forward steps of the built-in participants (and, for one saga in five,
 * the compensations ReleaseInventory and CancelPrescription) with 32 sagas in flight; and the live
 * `order_fulfillment_sagas` projection writer applying a happy saga's summary events, in batches
 * as the live follower reads them. On SQLite (the service file) and on MariaDB.
 *
 * Figures: node CPU (process.cpuUsage) and, on MariaDB, the server's CPU (utime + stime of the
 * `mariadbd` process from /proc, in 10 ms ticks: other users of the server count too, so the
 * server's idle rate is printed first, and so is the CPU of the threads serving the bench's own
 * connections, which misses InnoDB's background work: the server's share lies between the two).
 * The RESULT lines use the whole process. Same-run baselines on the bare driver:
 * - participants: three single-row prepared INSERTs per saga (one ledger row per step, the least
 *   any implementation must write), with the same concurrency;
 * - projection: per batch, one transaction writing one row per saga the batch touches and the
 *   checkpoint (SQLite: a prepared single-row upsert each; MariaDB: one prepared multi-row upsert
 *   and one for the checkpoint, between START TRANSACTION and COMMIT).
 *
 *   npm run bench:participants     (MariaDB at TEST_MYSQL_URL; PARTICIPANTS_BENCH_ONLY=sqlite|mysql)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Knex } from 'knex';
import { createPool } from 'mysql2/promise';
import { systemClock } from '../src/application/ports/clock';
import type { RecordedEvent } from '../src/application/ports/eventStore';
import type { StepRequest } from '../src/application/ports/participants';
import { orderFulfillmentSagasProjection } from '../src/application/projections/orderFulfillmentSagasProjection';
import { projectionConsumer, type ProjectionStorage } from '../src/application/projections/projection';
import type { SagaSummaryWriter } from '../src/application/projections/orderFulfillmentSagasProjection';
import { loadConfig } from '../src/infrastructure/config/config';
import { databaseLocations, migrateAll } from '../src/infrastructure/database/databases';
import { createKnex, sqliteFilename } from '../src/infrastructure/database/knexClient';
import { createParticipants, type Participants } from '../src/infrastructure/participants/createParticipants';
import { sqlSagaProjectionStorage } from '../src/infrastructure/readModel/sqlSagaProjectionStorage';
import { createMysqlTestDatabase } from '../src/testing/testServices';
import { measure, serverIdleRate, type Meter } from './support/cpuMeters';
import { happyLog } from './support/happySagaLog';

type Backend = 'sqlite' | 'mysql';

const concurrency = 32;
const sagaCount: Record<Backend, number> = { sqlite: 6_000, mysql: 3_000 };
const projectedSagas: Record<Backend, number> = { sqlite: 6_000, mysql: 3_000 };
/** Events per batch the projection gets: about what the live follower reads per turn with 32 sagas in flight. */
const projectionBatch = Number(process.env.PROJECTION_BATCH ?? 64);
const skus = Array.from({ length: 32 }, (_, index) => `BENCH-${index}`);

// ---------------------------------------------------------------------------------------------
// Storage under test

/** The wiring under test: participants and the live projection storage on the service database. */
function wire(db: Knex): { participants: Participants; projection: ProjectionStorage<SagaSummaryWriter> } {
  return {
    participants: createParticipants({ db, config: loadConfig({ SHIPPING_COUNTRIES: 'US' }), clock: systemClock }),
    projection: sqlSagaProjectionStorage(db),
  };
}

type Opened = Readonly<{ db: Knex; url: string; close(): Promise<void> }>;

async function open(backend: Backend): Promise<Opened> {
  if (backend === 'sqlite') {
    const folder = mkdtempSync(join(tmpdir(), 'participants-bench-'));
    const locations = databaseLocations(`sqlite:${join(folder, 'fulfillment.sqlite')}`);
    await migrateAll(locations);
    const db = createKnex(locations.serviceUrl);
    return {
      db,
      url: locations.serviceUrl,
      close: async () => {
        await db.destroy();
        rmSync(folder, { recursive: true, force: true });
      },
    };
  }
  const database = await createMysqlTestDatabase({ migrate: ['service'] });
  return { db: database.db, url: database.url, close: () => database.drop() };
}

// ---------------------------------------------------------------------------------------------

/** Runs `count` tasks, `concurrency` at a time. */
async function inFlight(count: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Participants

const requestOf = (run: string, index: number): StepRequest => ({
  sagaId: `00000000-${run}-4000-8000-${String(index).padStart(12, '0')}`,
  orderId: `10000000-${run}-4000-8000-${String(index).padStart(12, '0')}`,
  patientId: `patient-${index}`,
  // One saga in four has no prescriber: the prescription step then asks the catalog.
  prescriberId: index % 4 === 0 ? null : 'dr-bench',
  medications: [{ sku: skus[index % skus.length]!, quantity: 1 }],
  shippingAddress: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
});

async function runSaga({ prescriptions, inventory, shipping }: Participants, request: StepRequest, index: number) {
  const expectSucceeded = (outcome: { outcome: string }, step: string) => {
    if (outcome.outcome !== 'succeeded') throw new Error(`${step} did not succeed: ${JSON.stringify(outcome)}`);
  };
  expectSucceeded(await prescriptions.createPrescription(request), 'CreatePrescription');
  expectSucceeded(await inventory.reserve(request), 'ReserveInventory');
  expectSucceeded(await shipping.initiateShipment(request), 'InitiateShipment');
  if (index % 5 === 0) {
    const compensation = { sagaId: request.sagaId, orderId: request.orderId };
    await inventory.release(compensation);
    await prescriptions.cancelPrescription(compensation);
  }
}

async function participantsRun(backend: Backend, opened: Opened) {
  const { participants } = wire(opened.db);
  for (const sku of skus) await participants.catalog.putItem(sku, { name: sku, onHand: 100_000_000 });
  await inFlight(300, (index) => runSaga(participants, requestOf('0000', index), index)); // warm-up
  const count = sagaCount[backend];
  return measure(opened.db, () => inFlight(count, (index) => runSaga(participants, requestOf('0001', index), index)));
}

/** The bare driver: three single-row prepared INSERTs per saga, 32 sagas in flight. */
async function participantsBaseline(backend: Backend, opened: Opened): Promise<Meter> {
  const count = sagaCount[backend];
  const row = (index: number, step: number): [string, string, number] => [`${index}-${step}`, 'bench', Date.now()];
  if (backend === 'sqlite') {
    const db = new Database(sqliteFilename(opened.url));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE bench_rows (id TEXT PRIMARY KEY, v TEXT, at INTEGER)');
    const insert = db.prepare('INSERT INTO bench_rows (id, v, at) VALUES (?, ?, ?)');
    const saga = async (index: number) => {
      for (let step = 0; step < 3; step++) {
        insert.run(...row(index, step));
        await Promise.resolve();
      }
    };
    try {
      await inFlight(300, (index) => saga(-1 - index));
      return await measure(opened.db, () => inFlight(count, saga));
    } finally {
      db.close();
    }
  }
  const pool = createPool({ uri: opened.url, connectionLimit: 16 });
  try {
    await pool.query('CREATE TABLE bench_rows (id VARCHAR(64) PRIMARY KEY, v VARCHAR(64), at BIGINT)');
    const saga = async (index: number) => {
      for (let step = 0; step < 3; step++)
        await pool.execute('INSERT INTO bench_rows (id, v, at) VALUES (?, ?, ?)', row(index, step));
    };
    await inFlight(300, (index) => saga(-1 - index));
    return await measure(opened.db, () => inFlight(count, saga));
  } finally {
    await pool.end();
  }
}

// ---------------------------------------------------------------------------------------------
// Projection

async function projectionRun(backend: Backend, opened: Opened) {
  const { projection } = wire(opened.db);
  const consumer = projectionConsumer(orderFulfillmentSagasProjection, projection, 'bench');
  const feed = async (log: RecordedEvent[]) => {
    for (let start = 0; start < log.length; start += projectionBatch)
      await consumer.handleBatch(log.slice(start, start + projectionBatch));
  };
  const warmUp = happyLog(300, concurrency, '0000');
  await feed(warmUp);
  const log = happyLog(projectedSagas[backend], concurrency, '0001', warmUp.at(-1)!.position);
  const handled = new Set<string>(orderFulfillmentSagasProjection.canHandle);
  const summaryEvents = log.filter((event) => handled.has(event.type)).length / projectedSagas[backend];
  return { meter: await measure(opened.db, () => feed(log)), summaryEvents, log };
}

/** The bare driver: per batch, one transaction writing one row per saga it touches, and the checkpoint. */
async function projectionBaseline(backend: Backend, opened: Opened, log: RecordedEvent[]): Promise<Meter> {
  const batches: string[][] = [];
  for (let start = 0; start < log.length; start += projectionBatch) {
    batches.push([
      ...new Set(log.slice(start, start + projectionBatch).map((e) => (e.data as { sagaId: string }).sagaId)),
    ]);
  }
  if (backend === 'sqlite') {
    const db = new Database(sqliteFilename(opened.url));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE bench_summaries (id TEXT PRIMARY KEY, v TEXT, at INTEGER)');
    const upsert = db.prepare(
      'INSERT INTO bench_summaries (id, v, at) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET v = excluded.v, at = excluded.at',
    );
    const batch = db.transaction((sagaIds: string[], position: number) => {
      for (const sagaId of sagaIds) upsert.run(sagaId, 'summary', position);
      upsert.run('checkpoint', 'position', position);
    });
    try {
      return await measure(opened.db, async () => {
        for (const [index, sagaIds] of batches.entries()) {
          batch.immediate(sagaIds, index);
          await Promise.resolve();
        }
      });
    } finally {
      db.close();
    }
  }
  const pool = createPool({ uri: opened.url, connectionLimit: 2 });
  try {
    await pool.query('CREATE TABLE bench_summaries (id VARCHAR(64) PRIMARY KEY, v VARCHAR(64), at BIGINT)');
    const upsert = (rows: number) =>
      `INSERT INTO bench_summaries (id, v, at) VALUES ${Array.from({ length: rows }, () => '(?, ?, ?)').join(', ')} ` +
      'ON DUPLICATE KEY UPDATE v = VALUES(v), at = VALUES(at)';
    return await measure(opened.db, async () => {
      const connection = await pool.getConnection();
      try {
        for (const [index, sagaIds] of batches.entries()) {
          await connection.query('START TRANSACTION');
          await connection.execute(
            upsert(sagaIds.length),
            sagaIds.flatMap((sagaId) => [sagaId, 'summary', index]),
          );
          await connection.execute(upsert(1), ['checkpoint', 'position', index]);
          await connection.query('COMMIT');
        }
      } finally {
        connection.release();
      }
    });
  } finally {
    await pool.end();
  }
}

// ---------------------------------------------------------------------------------------------

type Cost = Readonly<{ node: number; server: number; ownThreads: number; seconds: number }>;

const costPer = (meter: Meter, per: number): Cost => ({
  node: meter.nodeMicros / per,
  server: meter.serverMicros / per,
  ownThreads: meter.ownThreadsMicros / per,
  seconds: meter.seconds,
});

/** "node 123 µs/saga" on SQLite; node, mariadbd (its threads serving us) and the sum on MariaDB. */
function describeCost(backend: Backend, cost: Cost): string {
  if (backend === 'sqlite') return `node ${cost.node.toFixed(0)} µs/saga`;
  return (
    `node ${cost.node.toFixed(0)} + mariadbd ${cost.server.toFixed(0)} = ${(cost.node + cost.server).toFixed(0)} µs/saga ` +
    `(mariadbd threads serving this run: ${cost.ownThreads.toFixed(0)})`
  );
}

function result(name: string, value: number, baseline: number) {
  console.log(
    `RESULT ${JSON.stringify({
      name,
      value: Math.round(value),
      unit: 'µs/saga',
      baseline: Math.round(baseline),
      ratio: Number((value / baseline).toFixed(2)),
      target: 'report',
      met: true,
    })}`,
  );
}

type Figures = Readonly<{ participants: Cost; participantsRaw: Cost; projection: Cost; projectionRaw: Cost }>;

async function bench(backend: Backend): Promise<Figures> {
  const opened = await open(backend);
  try {
    if (backend === 'mysql') {
      const idle = await serverIdleRate();
      console.log(
        `mysql: mariadbd CPU while this bench is idle: ${(idle / 1000).toFixed(1)} ms/s (other users of the server)`,
      );
    }
    const sagas = sagaCount[backend];
    const participants = costPer(await participantsRun(backend, opened), sagas);
    const participantsRaw = costPer(await participantsBaseline(backend, opened), sagas);
    console.log(
      `${backend} participants, ${sagas} sagas (3 steps; compensations for 1 in 5; 32 in flight): ` +
        `${(sagas / participants.seconds).toFixed(0)} sagas/s, ${describeCost(backend, participants)}\n` +
        `${backend}   bare driver, 3 prepared inserts per saga: ${(sagas / participantsRaw.seconds).toFixed(0)} sagas/s, ` +
        describeCost(backend, participantsRaw),
    );

    const projectedCount = projectedSagas[backend];
    const projected = await projectionRun(backend, opened);
    const projection = costPer(projected.meter, projectedCount);
    const projectionRaw = costPer(await projectionBaseline(backend, opened, projected.log), projectedCount);
    console.log(
      `${backend} projection, ${projectedCount} happy sagas (${projected.summaryEvents} summary events each; ` +
        `batches of ${projectionBatch} log events): ${describeCost(backend, projection)}\n` +
        `${backend}   bare driver, one row per saga and batch + checkpoint: ${describeCost(backend, projectionRaw)}`,
    );
    return { participants, participantsRaw, projection, projectionRaw };
  } finally {
    await opened.close();
  }
}

async function main() {
  const only = process.env.PARTICIPANTS_BENCH_ONLY as Backend | undefined;
  const backends = (['sqlite', 'mysql'] as const).filter((backend) => !only || backend === only);
  const figures: Partial<Record<Backend, Figures>> = {};
  for (const backend of backends) figures[backend] = await bench(backend);
  console.log('');
  const { sqlite, mysql } = figures;
  if (sqlite) {
    result('participants_sqlite_cpu', sqlite.participants.node, sqlite.participantsRaw.node);
    result('projection_sqlite_cpu', sqlite.projection.node, sqlite.projectionRaw.node);
  }
  if (mysql) {
    const total = (cost: Cost) => cost.node + cost.server;
    result('participants_mysql_node_cpu', mysql.participants.node, mysql.participantsRaw.node);
    result('participants_mysql_cpu', total(mysql.participants), total(mysql.participantsRaw));
    result('projection_mysql_node_cpu', mysql.projection.node, mysql.projectionRaw.node);
    result('projection_mysql_cpu', total(mysql.projection), total(mysql.projectionRaw));
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
