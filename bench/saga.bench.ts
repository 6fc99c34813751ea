/**
 * Sagas per second, end to end through the application layer (no HTTP): orders placed with the
 * placeOrder command, the saga reactor following the log, workers running the jobs against the
 * built-in participants, until every saga has ended. Happy path, and a mix where 20% fail at a
 * random step (and are compensated). On SQLite + the embedded queue and on MariaDB + BullMQ, with
 * one worker, and with a second worker in a child process (the CLI's `worker` role).
 *
 * Same-run baseline: the bare queue running a three-job chain per saga (each job enqueues the
 * next, no work) — the ceiling the queue alone allows. Also: CPU per saga event of restoring and
 * advancing the machine.
 *
 *   npm run bench:saga        (needs MariaDB at TEST_MYSQL_URL and Redis at TEST_REDIS_URL)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { placeOrder, type PlaceOrderInput } from '../src/application/commands';
import { silentLogger } from '../src/application/ports/logger';
import type { FulfillmentJob, JobQueue } from '../src/application/ports/jobQueue';
import { startSagaReactor } from '../src/application/saga/sagaReactorSubscription';
import type { SagaState } from '../src/domain/saga';
import { buildService, type Service } from '../src/infrastructure/app/buildService';
import { startWorkerRole } from '../src/infrastructure/app/sagaRoles';
import { sampleStepJob } from '../src/testing/sampleJobs';
import { loadConfig } from '../src/infrastructure/config/config';
import { databaseLocations, migrateAll } from '../src/infrastructure/database/databases';
import { createMetrics } from '../src/infrastructure/observability/metrics';
import { createMysqlTestDatabase, testRedisUrl, uniqueRedisPrefix } from '../src/testing/testServices';

type Backend = 'sqlite' | 'mysql';
type Mix = 'happy' | 'mixed';

const root = join(__dirname, '..');
const skus = Array.from({ length: 32 }, (_, index) => `BENCH-${index}`);
const sagaCount: Record<Backend, number> = { sqlite: 3_000, mysql: 1_000 };

/** Everything a run needs from the environment, as a child worker process gets it too. */
async function prepareStorage(backend: Backend): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  const common = {
    LOG_LEVEL: process.env.BENCH_LOG ?? 'silent',
    WORKER_CONCURRENCY: '32',
    JOB_ATTEMPTS: '5',
    JOB_BACKOFF_MS: '100',
  };
  if (backend === 'sqlite') {
    const folder = mkdtempSync(join(tmpdir(), 'saga-bench-'));
    const DATABASE_URL = `sqlite:${join(folder, 'fulfillment.sqlite')}`;
    await migrateAll(databaseLocations(DATABASE_URL));
    return {
      env: { ...common, DATABASE_URL, DATA_DIR: folder },
      drop: async () => rmSync(folder, { recursive: true, force: true }),
    };
  }
  const database = await createMysqlTestDatabase();
  await database.db.destroy();
  return {
    env: { ...common, DATABASE_URL: database.url, REDIS_URL: testRedisUrl, QUEUE_PREFIX: uniqueRedisPrefix('bench') },
    drop: () => database.drop(),
  };
}

function orderInput(index: number, mix: Mix): PlaceOrderInput {
  // 20% fail: one in fifteen at each of the three steps.
  const failAt = mix === 'mixed' ? index % 15 : -1;
  return {
    patientId: `bench-${index}`,
    ...(failAt === 0 ? {} : { prescriberId: 'dr-bench' }),
    medications: [
      { sku: failAt === 1 ? 'BENCH-UNKNOWN' : failAt === 0 ? 'BENCH-CTRL' : skus[index % skus.length]!, quantity: 1 },
    ],
    shippingAddress: {
      line1: '1 Main St',
      city: 'Springfield',
      postalCode: '12345',
      country: failAt === 2 ? 'JP' : 'US',
    },
  };
}

function startChildWorker(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/infrastructure/cli/main.ts', 'worker'], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

const stopChild = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

/** Places `count` orders and waits until every saga has ended; returns sagas per second. */
async function runSagas(
  backend: Backend,
  mix: Mix,
  workers: 1 | 2,
): Promise<{ perSecond: number; seconds: number; cpuMsPerSaga: number; ended: Record<string, number> }> {
  const storage = await prepareStorage(backend);
  const config = loadConfig(storage.env);
  const service: Service = buildService(config, {
    logger: silentLogger,
    metrics: createMetrics({ defaultMetrics: false }),
  });
  const count = sagaCount[backend];
  try {
    for (const sku of skus) await service.participants.catalog.putItem(sku, { name: sku, onHand: 100_000_000 });
    await service.participants.catalog.putItem('BENCH-CTRL', {
      name: 'controlled',
      controlled: true,
      onHand: 100_000_000,
    });

    const ended: Record<string, number> = {};
    let endedCount = 0;
    let allEnded!: () => void;
    const done = new Promise<void>((resolve) => (allEnded = resolve));
    const onState = (state: SagaState) => {
      if (state !== 'COMPLETED' && state !== 'CANCELLED' && state !== 'MANUAL_REVIEW') return;
      ended[state] = (ended[state] ?? 0) + 1;
      if (++endedCount === count) allEnded();
    };
    const child = workers === 2 ? startChildWorker(storage.env) : undefined;
    if (child) await new Promise((resolve) => setTimeout(resolve, 1_500)); // let it boot
    const reactor = startSagaReactor({
      eventStore: service.eventStore,
      checkpoints: service.checkpoints,
      jobQueue: service.jobQueue,
      definition: service.sagaDefinition,
      clock: service.clock,
      logger: silentLogger,
      metrics: { sagaStarted: () => undefined, sagaReached: onState },
      idleWaitMs: 20,
    });
    await startWorkerRole(service);

    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const origin = { causationId: 'bench', actor: 'bench' };
    for (let next = 0; next < count; next += 100) {
      const batch = Array.from({ length: Math.min(100, count - next) }, (_, offset) => orderInput(next + offset, mix));
      await Promise.all(batch.map((input) => placeOrder(service.commands, input, origin)));
    }
    const timeout = setTimeout(() => {
      console.error(`timed out with ${endedCount}/${count} sagas ended`);
      allEnded();
    }, 120_000);
    await done;
    clearTimeout(timeout);
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    await reactor.subscription.stop();
    if (child) await stopChild(child);
    // CPU of this process only (a child worker's is not counted): steadier than wall time on a shared machine.
    return {
      perSecond: endedCount / seconds,
      seconds,
      cpuMsPerSaga: (cpu.user + cpu.system) / 1000 / endedCount,
      ended,
    };
  } finally {
    await service.close();
    await storage.drop();
  }
}

/** The bare queue: a chain of three no-op jobs per saga, each enqueueing the next. Chains per second. */
async function queueChainBaseline(backend: Backend): Promise<number> {
  const storage = await prepareStorage(backend);
  const config = loadConfig(storage.env);
  const service = buildService(config, { logger: silentLogger, metrics: createMetrics({ defaultMetrics: false }) });
  const queue: JobQueue = service.jobQueue;
  const count = sagaCount[backend];
  const chain = ['CreatePrescription', 'ReserveInventory', 'InitiateShipment'] as const;
  try {
    let finished = 0;
    let allDone!: () => void;
    const done = new Promise<void>((resolve) => (allDone = resolve));
    const worker = await queue.startWorker(
      {
        handle: async (job) => {
          if (job.kind !== 'step') return;
          const next = chain[chain.indexOf(job.name) + 1];
          if (next) await queue.enqueue({ ...job, name: next });
          else if (++finished === count) allDone();
        },
        onFailed: async () => undefined,
      },
      { concurrency: config.workerConcurrency },
    );
    const started = performance.now();
    const jobs = Array.from({ length: count }, (_, index): { job: FulfillmentJob } => ({
      job: sampleStepJob({ sagaId: `baseline-${index}`, orderId: `o-${index}`, causationId: 'bench' }),
    }));
    for (let next = 0; next < count; next += 100) await queue.enqueueMany(jobs.slice(next, next + 100));
    await done;
    const perSecond = count / ((performance.now() - started) / 1000);
    await worker.close();
    return perSecond;
  } finally {
    await service.close();
    await storage.drop();
  }
}

const result = (name: string, value: number, unit: string, baseline: number, target: string, met: boolean) =>
  console.log(
    `RESULT ${JSON.stringify({ name, value: Math.round(value), unit, baseline: Math.round(baseline), ratio: Number((value / baseline).toFixed(3)), target, met })}`,
  );

async function main() {
  if (process.env.SAGA_BENCH_PROFILE) {
    // One run only, for --cpu-prof: e.g. SAGA_BENCH_PROFILE=sqlite-happy-1
    const [backend, mix, workers] = process.env.SAGA_BENCH_PROFILE.split('-') as [Backend, Mix, string];
    const run = await runSagas(backend, mix, Number(workers) as 1 | 2);
    console.log(
      `${process.env.SAGA_BENCH_PROFILE}: ${run.perSecond.toFixed(0)} sagas/s, ${run.cpuMsPerSaga.toFixed(2)} ms CPU per saga ${JSON.stringify(run.ended)}`,
    );
    return;
  }
  const figures: Record<string, number> = {};
  // SAGA_BENCH_ONLY=mysql (or sqlite) runs one backend and prints only its RESULT lines.
  const only = process.env.SAGA_BENCH_ONLY as Backend | undefined;
  const backends = (['sqlite', 'mysql'] as const).filter((backend) => !only || backend === only);
  for (const backend of backends) {
    const baseline = await queueChainBaseline(backend);
    figures[`${backend}-baseline`] = baseline;
    console.log(`${backend}: bare queue, three-job chains: ${baseline.toFixed(0)}/s`);
    for (const [mix, workers] of [
      ['happy', 1],
      ['mixed', 1],
      ['happy', 2],
      ['mixed', 2],
    ] as const) {
      const run = await runSagas(backend, mix, workers);
      figures[`${backend}-${mix}-${workers}`] = run.perSecond;
      console.log(
        `${backend} ${mix} ${workers} worker process(es): ${run.perSecond.toFixed(0)} sagas/s ` +
          `(${sagaCount[backend]} in ${run.seconds.toFixed(1)} s, ${run.cpuMsPerSaga.toFixed(2)} ms CPU per saga in this process; ` +
          `${JSON.stringify(run.ended)}; ` +
          `${((run.perSecond / baseline) * 100).toFixed(0)}% of the bare queue)`,
      );
    }
  }

  if (backends.includes('sqlite')) sqliteResults(figures);
  if (backends.includes('mysql')) mysqlResults(figures);
}

function sqliteResults(figures: Record<string, number>) {
  const sqliteBest = Math.max(figures['sqlite-happy-1']!, figures['sqlite-happy-2']!);
  result(
    'saga_sqlite_embedded_happy',
    sqliteBest,
    'sagas/s',
    figures['sqlite-baseline']!,
    '>=1000',
    sqliteBest >= 1000,
  );
  result(
    'saga_sqlite_embedded_mixed',
    figures['sqlite-mixed-1']!,
    'sagas/s',
    figures['sqlite-baseline']!,
    'report',
    true,
  );
}

function mysqlResults(figures: Record<string, number>) {
  const mysqlTwo = figures['mysql-happy-2']!;
  result(
    'saga_mysql_bullmq_two_workers_happy',
    mysqlTwo,
    'sagas/s',
    figures['mysql-baseline']!,
    '>=400',
    mysqlTwo >= 400,
  );
  result(
    'saga_mysql_bullmq_two_workers_mixed',
    figures['mysql-mixed-2']!,
    'sagas/s',
    figures['mysql-baseline']!,
    'report',
    true,
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
