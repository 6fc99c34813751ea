/**
 * Sagas per second and CPU ms per saga summed over every process involved, each case beside the
 * same run's bare-queue baseline (three chained no-op jobs per saga: the ceiling the queue alone
 * allows; its chains/s and CPU ms per chain, bench/support/queueBaseline.ts).
 *
 * 1. Application layer (bench/support/appLayerSagas.ts): placeOrder, reactor and a worker in this
 *    process, happy and 20%-failing mixes, with one worker and with a second one as a child
 *    process (`cli worker`); on SQLite + the embedded queue and on MariaDB + BullMQ. CPU: this
 *    process, the child worker, and mariadbd + redis-server on MariaDB (idle noise on SQLite,
 *    printed apart). Targets: >= 1,500 sagas/s on SQLite, >= 450 on MariaDB with 2 workers.
 * 2. End to end through HTTP (bench/support/e2eThroughput.ts, also `npm run bench:e2e`): npm start
 *    on SQLite (>= 500 sagas/s, <= 1.5 ms CPU/saga), on MariaDB + BullMQ, and the roles apart with
 *    2 workers (both >= 300 sagas/s, <= 5 ms CPU/saga across all processes).
 *
 *   npm run bench:saga             (needs MariaDB at TEST_MYSQL_URL and Redis at TEST_REDIS_URL)
 *   SAGA_BENCH_ONLY=sqlite|mysql   one backend only
 *   SAGA_BENCH_PART=app|e2e        the application-layer part only, or the end-to-end part only
 *   SAGA_BENCH_SAGAS=1000          sagas per app-layer case (default 3000 SQLite, 1000 MariaDB)
 *   E2E_ORDERS=500                 orders per end-to-end case (default 3000 SQLite, 2000 MariaDB)
 *   SAGA_BENCH_PROFILE=sqlite-happy-1   one app-layer run only, e.g. under node --cpu-prof
 */
import { runBench, interrupted } from './support/benchMain';
import { BenchResults } from './support/benchResults';
import type { Backend } from './support/benchStorage';
import { appLayerEnv, runAppLayerSagas, type AppLayerRun, type Mix } from './support/appLayerSagas';
import { runThroughputCases, throughputCases } from './support/e2eThroughput';
import { queueChainBaseline } from './support/queueBaseline';
import { printBaseline, printRun } from './support/sagaRows';

const backendNames = ['sqlite', 'mysql'] as const;
const parts = ['app', 'e2e'] as const;
const only = process.env.SAGA_BENCH_ONLY as Backend | undefined;
const part = process.env.SAGA_BENCH_PART as (typeof parts)[number] | undefined;
if (only && !backendNames.includes(only)) throw new Error(`SAGA_BENCH_ONLY: ${only}? sqlite or mysql`);
if (part && !parts.includes(part)) throw new Error(`SAGA_BENCH_PART: ${part}? app or e2e`);
const backends = backendNames.filter((backend) => !only || backend === only);
const sagaCount = (backend: Backend) => Number(process.env.SAGA_BENCH_SAGAS) || (backend === 'sqlite' ? 3_000 : 1_000);

type Measured = Readonly<{ run: AppLayerRun; cpuPerSaga: number }>;

/** The four app-layer cases of a backend after its baseline; adds the backend's RESULT lines. */
async function appLayer(backend: Backend, results: BenchResults): Promise<number> {
  const count = sagaCount(backend);
  const baseline = await queueChainBaseline(backend, count, appLayerEnv);
  printBaseline(`baseline-app-${backend}`, baseline);
  const runs: Record<string, Measured> = {};
  let failures = 0;
  for (const [mix, workers] of [
    ['happy', 1],
    ['mixed', 1],
    ['happy', 2],
    ['mixed', 2],
  ] as const) {
    if (interrupted()) return failures;
    const run = await runAppLayerSagas(backend, mix, workers, count);
    if (run.failed) failures++;
    const name = `app-${backend}-${mix}-${workers}w`;
    runs[`${mix}-${workers}`] = {
      run,
      cpuPerSaga: printRun(name, run, baseline, `ended ${JSON.stringify(run.ended)}`),
    };
  }
  const add = (name: string, { run, cpuPerSaga }: Measured, target: string) => {
    results.add(name, run.perSecond, 'sagas/s', baseline.perSecond, target, 0, run.failed !== undefined);
    results.add(
      `${name}_cpu`,
      cpuPerSaga,
      'cpu ms/saga',
      baseline.cpuMsPerChain,
      'report',
      2,
      run.failed !== undefined,
    );
  };
  if (backend === 'sqlite') {
    // SQLite's target holds with either worker layout: the better of the two counts.
    const [one, two] = [runs['happy-1']!, runs['happy-2']!];
    add('saga_sqlite_embedded_happy', one.run.perSecond >= two.run.perSecond ? one : two, '>=1500');
    add('saga_sqlite_embedded_mixed', runs['mixed-1']!, 'report');
  } else {
    add('saga_mysql_bullmq_two_workers_happy', runs['happy-2']!, '>=450');
    add('saga_mysql_bullmq_two_workers_mixed', runs['mixed-2']!, 'report');
  }
  return failures;
}

async function main(): Promise<number> {
  if (process.env.SAGA_BENCH_PROFILE) {
    const [backend, mix, workers] = process.env.SAGA_BENCH_PROFILE.split('-') as [Backend, Mix, string];
    const run = await runAppLayerSagas(backend, mix, Number(workers) as 1 | 2, sagaCount(backend));
    console.log(`${process.env.SAGA_BENCH_PROFILE}: ${JSON.stringify(run)}`);
    return run.failed ? 1 : 0;
  }
  const results = new BenchResults();
  let failures = 0;
  if (part !== 'e2e') {
    console.log('Application layer (no HTTP): CPU ms/saga of this process (app), the child worker, MariaDB and Redis');
    for (const backend of backends) failures += await appLayer(backend, results);
  }
  if (part !== 'app' && !interrupted()) {
    console.log('End to end through HTTP: CPU ms/saga of the service processes, MariaDB and Redis');
    const mine = new Set<string>(
      throughputCases.filter((entry) => backends.includes(entry.backend)).map((e) => e.name),
    );
    failures += await runThroughputCases((name) => mine.has(name), results);
  }
  results.print();
  return failures;
}

runBench(main);
