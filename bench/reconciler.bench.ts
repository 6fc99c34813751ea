/**
 * What the saga reconciler costs when all is well: one scan over a read model of many finished
 * sagas and some in flight, whose jobs the queue holds. Per scan: wall time, CPU of this process
 * (the reactor role's) and, on MariaDB, of the server threads serving this run's connections
 * (bench/support/cpuMeters.ts); and what that is per second at the default RECONCILE_INTERVAL_MS
 * (10 s), as a share of one core.
 *
 * Rows: `finished` terminal sagas (current_step null) and `inFlight` sagas waiting on a step job,
 * idle (their rows an hour old, as after a long backlog: the worst case of a healthy service),
 * each with its job waiting in the queue (the embedded queue on SQLite, BullMQ on MariaDB). A
 * scan must read only the in-flight rows and make one queue lookup; it must load no saga from
 * the log (the event store given here throws if asked) and re-drive nothing (checked).
 *
 *   npx tsx bench/reconciler.bench.ts [finished] [inFlight]     (defaults 100000 and 200)
 */
import type { Knex } from 'knex';
import { silentLogger } from '../src/application/ports/logger';
import { systemClock } from '../src/application/ports/clock';
import type { EventStore } from '../src/application/ports/eventStore';
import type { JobQueue } from '../src/application/ports/jobQueue';
import { createSagaReconciler } from '../src/application/saga/sagaReconciler';
import { fulfillmentSaga } from '../src/domain/saga';
import { sqliteFilename } from '../src/infrastructure/database/knexClient';
import { BullmqJobQueue } from '../src/infrastructure/queue/bullmqJobQueue';
import { SqliteJobQueue } from '../src/infrastructure/queue/sqliteJobQueue';
import { obliterateBullmqQueue } from '../src/infrastructure/queue/testing/obliterateBullmqQueue';
import { knexSagaReadModel } from '../src/infrastructure/readModel/knexSagaReadModel';
import { sampleStepJob } from '../src/testing/sampleJobs';
import {
  createMysqlTestDatabase,
  createSqliteTestDatabase,
  testRedisUrl,
  uniqueRedisPrefix,
  type TestDatabase,
} from '../src/testing/testServices';
import { measure } from './support/cpuMeters';

const finished = Number(process.argv[2] ?? 100_000);
const inFlight = Number(process.argv[3] ?? 200);
const scans = 50;
const defaultIntervalMs = 10_000;
const retry = { attempts: 5, backoffMs: 200 };

const definition = fulfillmentSaga({
  stepDeadlinesMs: { CreatePrescription: 30_000, ReserveInventory: 30_000, InitiateShipment: 60_000 },
  retry,
});

const noLog = new Proxy({} as EventStore, {
  get: () => {
    throw new Error('a scan of a healthy service loaded a saga from the log');
  },
});

const sagaIdOf = (index: number) => `0b5c7f0e-0000-4000-8000-${String(index).padStart(12, '0')}`;

async function fill(db: Knex, queue: JobQueue): Promise<void> {
  const old = new Date(Date.now() - 3_600_000);
  const rows = [];
  for (let id = 1; id <= finished + inFlight; id++) {
    const waiting = id > finished;
    rows.push({
      id,
      saga_uuid: sagaIdOf(id),
      order_uuid: `order-${id}`,
      state: waiting ? 'PENDING_INVENTORY_RESERVATION' : 'COMPLETED',
      compensation_stack: '["CancelOrder","CancelPrescription"]',
      current_step: waiting ? 'ReserveInventory' : null,
      started_at: old,
      completed_at: waiting ? null : old,
      created_at: old,
      updated_at: old,
      last_position: id,
    });
  }
  for (let start = 0; start < rows.length; start += 400) {
    await db('order_fulfillment_sagas').insert(rows.slice(start, start + 400));
  }
  const jobs = rows
    .filter((row) => row.current_step !== null)
    .map((row) => ({
      job: sampleStepJob({
        name: 'ReserveInventory',
        sagaId: row.saga_uuid,
        orderId: row.order_uuid,
        causationId: 'bench',
      }),
      options: { delayMs: 3_600_000 }, // held, never run: no worker here anyway
    }));
  for (let start = 0; start < jobs.length; start += 100) await queue.enqueueMany(jobs.slice(start, start + 100));
}

async function run(name: string, database: TestDatabase, queue: JobQueue): Promise<void> {
  await fill(database.db, queue);
  const reconciler = createSagaReconciler({
    readModel: knexSagaReadModel(database.db),
    eventStore: noLog,
    jobQueue: queue,
    definition,
    clock: systemClock,
    logger: silentLogger,
    idleAfterMs: 10_000,
  });
  for (let warmUp = 0; warmUp < 5; warmUp++) await reconciler.scan();
  let idle = 0;
  let redriven = 0;
  const meter = await measure(database.db, async () => {
    for (let scan = 0; scan < scans; scan++) {
      const result = await reconciler.scan();
      idle += result.idleSagas;
      redriven += result.redriven.length + result.loadedSagas;
    }
  });
  if (idle !== scans * inFlight || redriven !== 0) {
    throw new Error(
      `${name}: expected ${inFlight} idle sagas a scan and nothing re-driven, got ${idle / scans} and ${redriven}`,
    );
  }
  const perScan = (micros: number) => micros / scans / 1000;
  const cpuMs = perScan(meter.nodeMicros + meter.ownThreadsMicros);
  console.log(
    `${name.padEnd(22)} ${((meter.seconds * 1000) / scans).toFixed(2).padStart(8)} ms/scan  ` +
      `node ${perScan(meter.nodeMicros).toFixed(2).padStart(6)} ms  server threads ${perScan(meter.ownThreadsMicros).toFixed(2).padStart(6)} ms  ` +
      `= ${((cpuMs / defaultIntervalMs) * 100).toFixed(4)} % of a core at one scan per ${defaultIntervalMs / 1000} s`,
  );
}

async function main() {
  console.log(`reconciler scan: ${finished} finished sagas, ${inFlight} idle on live jobs, ${scans} scans`);
  const sqlite = await createSqliteTestDatabase();
  const sqliteQueue = SqliteJobQueue.fromFile(sqliteFilename(sqlite.url), { retry });
  try {
    await run('SQLite + embedded', sqlite, sqliteQueue);
  } finally {
    await sqliteQueue.close();
    await sqlite.drop();
  }
  const mysql = await createMysqlTestDatabase();
  const prefix = uniqueRedisPrefix('bench-reconciler');
  const bullmq = new BullmqJobQueue({ redisUrl: testRedisUrl, prefix, retry });
  try {
    await run('MariaDB + BullMQ', mysql, bullmq);
  } finally {
    await bullmq.close();
    await obliterateBullmqQueue(prefix);
    await mysql.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
