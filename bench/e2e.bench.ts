/**
 * End to end, as a user runs the service: started as OS processes (`npm start`'s command, or the
 * CLI roles apart), driven only through its HTTP API, CPU summed over every process involved.
 *
 * Throughput cases: seed 32 skus, run one warm-up saga (proves HTTP, reactor, workers and the
 * projection are all up), then POST N valid orders with 64 requests in flight and poll
 * GET /sagas/stats every 100 ms until all N are COMPLETED. Wall time runs from the first POST to
 * that moment; CPU is read from /proc for the service's processes and their descendants, mariadbd
 * and redis-server (this bench process, the client, is not counted). Each row also says how much
 * CPU the machine spent elsewhere in the window: other jobs on a shared box make the figures noisy.
 *   sqlite-allInOne   node --import tsx src/main.ts                (SQLite, in-process queue)
 *   mysql-allInOne    the same on MariaDB + BullMQ
 *   mysql-rolesApart  cli serve, reactor, project and two workers (after cli migrate)
 * Baseline per backend, same run: the bare queue running three chained no-op jobs per saga, in
 * this process (bench/support/queueBaseline.ts).
 *
 * Latency case (sqlite-latency): autocannon POST /orders at a fixed 250 req/s, 20 connections,
 * 15 s, while the sagas run in the same service; baseline a bare express app answering 202.
 *
 *   npm run bench:e2e      (needs MariaDB at TEST_MYSQL_URL and Redis at TEST_REDIS_URL)
 *   E2E_ONLY=sqlite-allInOne,mysql-rolesApart   some cases only
 *   E2E_ORDERS=500                              orders per throughput case (default 3000 SQLite, 2000 MariaDB)
 *   E2E_KEEP=1                                  show the service processes' output
 *   E2E_PROFILE=1                               --cpu-prof for the service processes; prints the folder
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareStorage, type Backend } from './support/benchStorage';
import { bareExpressLatency, fixedRateLoad, type Latency } from './support/fixedRateLoad';
import { completedCount, postOrders, seedStock, waitCompleted, type Api } from './support/orderLoad';
import {
  CpuMeter,
  cpuDelta,
  descendantsOf,
  machineBusyMs,
  pidsNamed,
  threadsCpu,
  threadSplit,
} from './support/processCpu';
import { queueChainBaseline, type BaselineRun } from './support/queueBaseline';
import { freePort, running, runToEnd, spawnNode, stopAll, waitReady, type Spawned } from './support/serviceProcesses';

const cases = ['sqlite-allInOne', 'mysql-allInOne', 'mysql-rolesApart', 'sqlite-latency'] as const;
type CaseName = (typeof cases)[number];
type Layout = 'allInOne' | 'rolesApart';

const only = process.env.E2E_ONLY?.split(',')
  .map((name) => name.trim())
  .filter(Boolean);
const unknown = only?.filter((name) => !(cases as readonly string[]).includes(name)) ?? [];
if (unknown.length > 0)
  throw new Error(`E2E_ONLY: unknown case(s) ${unknown.join(', ')}; cases are ${cases.join(', ')}`);
const selected = (name: CaseName) => !only || only.includes(name);
const orderCount = (backend: Backend) => Number(process.env.E2E_ORDERS) || (backend === 'sqlite' ? 3_000 : 2_000);
const profileDir = process.env.E2E_PROFILE === '1' ? mkdtempSync(join(tmpdir(), 'e2e-profiles-')) : undefined;

const IN_FLIGHT = 64;
const COMPLETION_TIMEOUT_MS = 180_000;
const tokens = { client: 'e2e-client-token-0123456789', operator: 'e2e-operator-token-0123456789' };
const cli = 'src/infrastructure/cli/main.ts';
let failures = 0;

/** Starts the service on fresh storage, waits until it is ready and seeded, runs `work`, always cleans up. */
async function withService<T>(
  backend: Backend,
  layout: Layout,
  work: (api: Api, meter: CpuMeter, roots: readonly number[]) => Promise<T>,
): Promise<T> {
  const storage = await prepareStorage(backend);
  const processes: Spawned[] = [];
  try {
    const port = await freePort();
    const env = {
      ...storage.env,
      PORT: String(port),
      API_TOKENS: `client:${tokens.client},operator:${tokens.operator}`,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '10000000', // the bench is one token: measure the service, not its rate limit
    };
    if (layout === 'allInOne') {
      processes.push(spawnNode('service', ['src/main.ts'], env, profileDir));
    } else {
      await runToEnd('migrate', [cli, 'migrate'], env);
      for (const role of ['serve', 'reactor', 'project', 'worker', 'worker']) {
        processes.push(spawnNode(role, [cli, role], env, profileDir));
      }
    }
    const api: Api = {
      baseUrl: `http://127.0.0.1:${port}`,
      clientToken: tokens.client,
      operatorToken: tokens.operator,
    };
    await waitReady(api.baseUrl, processes);
    await seedStock(api);
    const warmUp = await postOrders(api, 1, 1, 1_000_000);
    if (warmUp.accepted !== 1) throw new Error(`the warm-up order was refused: ${JSON.stringify(warmUp.rejected)}`);
    if ((await waitCompleted(api, 1, 60_000)) < 1) throw new Error('the warm-up saga did not complete within 60 s');
    const meter = new CpuMeter({
      service: () => descendantsOf(...processes.map(({ child }) => child.pid!)),
      mariadb: () => pidsNamed('mariadbd'),
      redis: () => pidsNamed('redis-server'),
    });
    return await work(
      api,
      meter,
      processes.map(({ child }) => child.pid!),
    );
  } catch (error) {
    for (const { label, output } of processes) if (output()) console.error(`[${label}] last output:\n${output()}`);
    throw error;
  } finally {
    await stopAll(processes);
    await storage.drop();
  }
}

type ThroughputRun = Readonly<{
  backend: Backend;
  perSecond: number;
  completed: number;
  seconds: number;
  cpuMsByGroup: Record<string, number>;
  /** All in one process: its main thread (HTTP), its busiest other thread (the saga thread), the rest. */
  threads?: Readonly<{ main: number; busiest: number; rest: number }>;
  /** CPU the machine spent outside the measured processes and this bench during the window. */
  elsewhereMs: number;
  failed: string | undefined;
}>;

async function throughputCase(backend: Backend, layout: Layout): Promise<ThroughputRun> {
  const count = orderCount(backend);
  try {
    return await withService(backend, layout, async (api, meter, roots) => {
      const completedBefore = await completedCount(api);
      const before = meter.snapshot();
      const threadsBefore = layout === 'allInOne' ? threadsCpu(roots[0]!) : undefined;
      const [machineBefore, benchBefore] = [machineBusyMs(), process.cpuUsage()];
      const started = performance.now();
      const posted = await postOrders(api, count, IN_FLIGHT);
      const remainingMs = COMPLETION_TIMEOUT_MS - (performance.now() - started);
      const completed = (await waitCompleted(api, completedBefore + posted.accepted, remainingMs)) - completedBefore;
      const seconds = (performance.now() - started) / 1000;
      const cpuMsByGroup = cpuDelta(before, meter.snapshot());
      const threads = threadsBefore && threadSplit(roots[0]!, threadsBefore, threadsCpu(roots[0]!));
      const bench = process.cpuUsage(benchBefore);
      const measured = Object.values(cpuMsByGroup).reduce((sum, ms) => sum + ms, (bench.user + bench.system) / 1000);
      const elsewhereMs = machineBusyMs() - machineBefore - measured;
      const problems = [
        posted.accepted < count
          ? `${count - posted.accepted} POSTs not accepted ${JSON.stringify(posted.rejected)}`
          : '',
        completed < count ? `${completed}/${count} completed within ${COMPLETION_TIMEOUT_MS / 1000} s` : '',
      ].filter(Boolean);
      return {
        backend,
        perSecond: completed / seconds,
        completed,
        seconds,
        cpuMsByGroup,
        threads,
        elsewhereMs,
        failed: problems.length > 0 ? problems.join('; ') : undefined,
      };
    });
  } catch (error) {
    const failed = (error as Error).message;
    return { backend, perSecond: 0, completed: 0, seconds: 0, cpuMsByGroup: {}, elsewhereMs: NaN, failed };
  }
}

/** Groups counted in a backend's total; on SQLite, MariaDB and Redis are idle noise, shown apart. */
const countedGroups = (backend: Backend) => (backend === 'sqlite' ? ['service'] : ['service', 'mariadb', 'redis']);
const perUnit = (ms: number | undefined, units: number) => (units > 0 ? (ms ?? 0) / units : NaN);

function printRow(name: string, run: ThroughputRun, baseline: BaselineRun) {
  const counted = countedGroups(run.backend);
  const total = counted.reduce((sum, group) => sum + perUnit(run.cpuMsByGroup[group], run.completed), 0);
  const groups = counted.map((group) => `${group} ${perUnit(run.cpuMsByGroup[group], run.completed).toFixed(2)}`);
  const noise = Object.keys(run.cpuMsByGroup)
    .filter((group) => !counted.includes(group))
    .map((group) => `${group} ${run.cpuMsByGroup[group]!.toFixed(0)} ms`);
  console.log(
    `${name.padEnd(22)} ${run.perSecond.toFixed(0).padStart(6)} sagas/s  ${total.toFixed(2).padStart(6)} CPU ms/saga ` +
      `(${groups.join(', ')})  x${(run.perSecond / baseline.perSecond).toFixed(3)} throughput, ` +
      `x${(total / baseline.cpuMsPerChain).toFixed(3)} CPU of the baseline; ${run.completed} in ${run.seconds.toFixed(1)} s` +
      (noise.length > 0 ? `; idle noise: ${noise.join(', ')}` : '') +
      `; elsewhere on the machine: ${run.elsewhereMs.toFixed(0)} ms` +
      (run.failed ? `  FAILED: ${run.failed}` : ''),
  );
  if (run.threads) {
    const { main, busiest, rest } = run.threads;
    const each = (ms: number) => perUnit(ms, run.completed).toFixed(2);
    console.log(
      `${''.padEnd(22)} threads, CPU ms/saga: main (HTTP) ${each(main)}, saga thread ${each(busiest)}, GC and pool ${each(rest)}`,
    );
  }
  return total;
}

function printBaseline(backend: Backend, baseline: BaselineRun) {
  const groups = Object.entries(baseline.cpuMsByGroup).map(
    ([group, ms]) => `${group} ${(ms / orderCount(backend)).toFixed(2)}`,
  );
  console.log(
    `${`baseline-${backend}`.padEnd(22)} ${baseline.perSecond.toFixed(0).padStart(6)} chains/s ` +
      `${baseline.cpuMsPerChain.toFixed(2).padStart(6)} CPU ms/chain (${groups.join(', ')})  bare queue, 3 no-op jobs per chain; ` +
      `elsewhere on the machine: ${baseline.elsewhereMs.toFixed(0)} ms`,
  );
}

const resultLines: string[] = [];
/** One RESULT line; `failed` marks a run that did not finish (its partial figure is still reported). */
function result(
  name: string,
  value: number,
  unit: string,
  baseline: number,
  target: string,
  decimals: number,
  failed: boolean,
) {
  const round = (n: number) => (Number.isFinite(n) ? Number(n.toFixed(decimals)) : null);
  const bound = Number(target.slice(2));
  const met = !failed && Number.isFinite(value) && (target.startsWith('>=') ? value >= bound : value <= bound);
  resultLines.push(
    `RESULT ${JSON.stringify({ name, value: round(value), unit, baseline: round(baseline), ratio: Number.isFinite(value / baseline) ? Number((value / baseline).toFixed(3)) : null, target, met })}`,
  );
}

function throughputResults(
  key: string,
  run: ThroughputRun,
  cpuPerSaga: number,
  baseline: BaselineRun,
  targets: [string, string],
) {
  const failed = run.failed !== undefined;
  result(`e2e_${key}_throughput`, run.perSecond, 'sagas/s', baseline.perSecond, targets[0], 0, failed);
  result(`e2e_${key}_cpu`, cpuPerSaga, 'cpu ms/saga', baseline.cpuMsPerChain, targets[1], 2, failed);
}

// The latency case.

async function latencyCase() {
  const baseline = await bareExpressLatency();
  let service: (Latency & { sagasPerSecond: number }) | undefined;
  let failed: string | undefined;
  try {
    service = await withService('sqlite', 'allInOne', async (api) => {
      const before = await completedCount(api);
      const started = performance.now();
      const latency = await fixedRateLoad(api.baseUrl, api.clientToken);
      const completed = (await completedCount(api)) - before;
      return { ...latency, sagasPerSecond: completed / ((performance.now() - started) / 1000) };
    });
  } catch (error) {
    failed = (error as Error).message;
  }
  const line = (name: string, figures: Latency, extra = '') =>
    console.log(
      `${name.padEnd(22)} p50 ${figures.p50} ms  p90 ${figures.p90} ms  p99 ${figures.p99} ms ` +
        `(per request: ${figures.perRequest})  ` +
        `${figures.requests} requests, ${figures.all202 ? 'all 202' : 'NOT all 202'} (${figures.codes})${extra}`,
    );
  line('bare express 202', baseline);
  if (service) line('sqlite-latency', service, `; ${service.sagasPerSecond.toFixed(0)} sagas/s completed meanwhile`);
  if (failed || !service?.all202) failures++;
  if (failed) console.log(`${'sqlite-latency'.padEnd(22)} FAILED: ${failed}`);
  const notAll202 = !service?.all202;
  result('e2e_sqlite_post_orders_p50_at_250rps', service?.p50 ?? NaN, 'ms', baseline.p50, '<=5', 2, notAll202);
  result('e2e_sqlite_post_orders_p99_at_250rps', service?.p99 ?? NaN, 'ms', baseline.p99, '<=25', 2, notAll202);
}

async function main() {
  if (profileDir) console.log(`CPU profiles of the service processes go to ${profileDir}`);
  const throughputCases: { name: CaseName; backend: Backend; layout: Layout; targets: [string, string] }[] = [
    { name: 'sqlite-allInOne', backend: 'sqlite', layout: 'allInOne', targets: ['>=500', '<=1.5'] },
    { name: 'mysql-allInOne', backend: 'mysql', layout: 'allInOne', targets: ['>=300', '<=5'] },
    { name: 'mysql-rolesApart', backend: 'mysql', layout: 'rolesApart', targets: ['>=300', '<=5'] },
  ];
  for (const backend of ['sqlite', 'mysql'] as const) {
    const mine = throughputCases.filter((entry) => entry.backend === backend && selected(entry.name));
    if (mine.length === 0) continue;
    const baseline = await queueChainBaseline(backend, orderCount(backend));
    printBaseline(backend, baseline);
    for (const { name, layout, targets } of mine) {
      if (interrupted) return;
      const run = await throughputCase(backend, layout);
      if (run.failed) failures++;
      const cpuPerSaga = printRow(name, run, baseline);
      throughputResults(name.replace('-', '_'), run, cpuPerSaga, baseline, targets);
    }
  }
  if (selected('sqlite-latency') && !interrupted) await latencyCase();
  for (const line of resultLines) console.log(line);
  if (profileDir) console.log(`CPU profiles: ${profileDir}`);
}

/** Ctrl-C: stop the service processes so the running case fails fast and drops its storage; twice: exit now. */
let interrupted = false;
const onSignal = (signal: NodeJS.Signals) => {
  if (interrupted) process.exit(130);
  interrupted = true;
  console.error(`${signal}: stopping ${running.size} service process(es), then cleaning up (again to exit at once)`);
  void stopAll([...running]);
  setTimeout(() => process.exit(130), 20_000).unref();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

main().then(
  () => process.exit(interrupted ? 130 : failures > 0 ? 1 : 0),
  async (error: unknown) => {
    console.error(error);
    await stopAll([...running]);
    process.exit(1);
  },
);
