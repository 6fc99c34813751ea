/**
 * The end-to-end throughput cases, run by `npm run bench:saga` and `npm run bench:e2e`: the
 * service started as a user starts it (e2eService.ts), driven only through its HTTP API.
 *
 *   sqlite-allInOne   npm start's command: SQLite, in-process queue, every role in one process
 *   mysql-allInOne    the same on MariaDB + BullMQ
 *   mysql-rolesApart  cli serve, reactor, project and two workers (after cli migrate)
 *
 * Each POSTs N valid orders with 64 requests in flight and polls GET /sagas/stats every 100 ms
 * until all N are COMPLETED. Wall time runs from the first POST to that moment; CPU is read from
 * /proc for the service's processes and their descendants, mariadbd and redis-server (counted on
 * MariaDB, idle noise on SQLite); the bench process, the client, is not counted. All in one, the
 * service's CPU is also split by thread (main/HTTP, saga thread, GC and pool). Baseline per
 * backend, same run: the bare queue running three chained no-op jobs per saga (queueBaseline.ts).
 *
 *   E2E_ORDERS=500   orders per case (default 3000 SQLite, 2000 MariaDB)
 */
import { interrupted } from './benchMain';
import type { BenchResults } from './benchResults';
import type { Backend } from './benchStorage';
import { openCpuWindow } from './cpuWindow';
import { withService, type Layout, type RunningService } from './e2eService';
import { completedCount, postOrders, waitCompleted } from './orderLoad';
import { threadsCpu, threadSplit } from './processCpu';
import { queueChainBaseline } from './queueBaseline';
import { failedRun, printBaseline, printDetail, printRun, type SagaRun } from './sagaRows';

export const throughputCases = [
  { name: 'sqlite-allInOne', backend: 'sqlite', layout: 'allInOne', targets: ['>=500', '<=1.5'] },
  { name: 'mysql-allInOne', backend: 'mysql', layout: 'allInOne', targets: ['>=300', '<=5'] },
  { name: 'mysql-rolesApart', backend: 'mysql', layout: 'rolesApart', targets: ['>=300', '<=5'] },
] as const satisfies readonly { name: string; backend: Backend; layout: Layout; targets: [string, string] }[];
export type ThroughputCaseName = (typeof throughputCases)[number]['name'];

const orderCount = (backend: Backend) => Number(process.env.E2E_ORDERS) || (backend === 'sqlite' ? 3_000 : 2_000);
const IN_FLIGHT = 64;
const COMPLETION_TIMEOUT_MS = 180_000;

export type ThroughputRun = SagaRun & Readonly<{ threads?: ReturnType<typeof threadSplit> }>;

/**
 * One throughput run on a service already running: `count` orders, IN_FLIGHT at a time, timed until
 * all have COMPLETED (the scale-out bench runs it on each of its layouts too).
 */
export async function measureThroughput(
  backend: Backend,
  layout: Layout,
  { api, meter, roots }: RunningService,
  count = orderCount(backend),
): Promise<ThroughputRun> {
  const completedBefore = await completedCount(api);
  const threadsBefore = layout === 'allInOne' ? threadsCpu(roots[0]!) : undefined;
  const close = openCpuWindow(meter);
  const started = performance.now();
  const posted = await postOrders(api, count, IN_FLIGHT);
  const remainingMs = COMPLETION_TIMEOUT_MS - (performance.now() - started);
  const completed = (await waitCompleted(api, completedBefore + posted.accepted, remainingMs)) - completedBefore;
  const window = close();
  const threads = threadsBefore && threadSplit(roots[0]!, threadsBefore, threadsCpu(roots[0]!));
  const problems = [
    posted.accepted < count ? `${count - posted.accepted} POSTs not accepted ${JSON.stringify(posted.rejected)}` : '',
    completed < count ? `${completed}/${count} completed within ${COMPLETION_TIMEOUT_MS / 1000} s` : '',
  ].filter(Boolean);
  return {
    ...window,
    backend,
    perSecond: completed / window.seconds,
    completed,
    threads,
    failed: problems.length > 0 ? problems.join('; ') : undefined,
  };
}

async function throughputCase(backend: Backend, layout: Layout): Promise<ThroughputRun> {
  try {
    return await withService(backend, layout, (service) => measureThroughput(backend, layout, service));
  } catch (error) {
    return failedRun(backend, (error as Error).message);
  }
}

/**
 * Runs the selected cases, each backend's after its own baseline, printing a row for each and
 * adding its RESULT lines (throughput and CPU per saga, e2e_<case>_…) to `results`. Returns how
 * many cases failed.
 */
export async function runThroughputCases(
  selected: (name: ThroughputCaseName) => boolean,
  results: BenchResults,
): Promise<number> {
  let failures = 0;
  for (const backend of ['sqlite', 'mysql'] as const) {
    const mine = throughputCases.filter((entry) => entry.backend === backend && selected(entry.name));
    if (mine.length === 0 || interrupted()) continue;
    const baseline = await queueChainBaseline(backend, orderCount(backend));
    printBaseline(`baseline-${backend}`, baseline);
    for (const { name, layout, targets } of mine) {
      if (interrupted()) break;
      const run = await throughputCase(backend, layout);
      if (run.failed) failures++;
      const cpuPerSaga = printRun(name, run, baseline);
      if (run.threads) {
        const each = (ms: number) => (ms / run.completed).toFixed(2);
        const { main, busiest, rest } = run.threads;
        printDetail(
          `threads, CPU ms/saga: main (HTTP) ${each(main)}, saga thread ${each(busiest)}, GC and pool ${each(rest)}`,
        );
      }
      const key = `e2e_${name.replace('-', '_')}`;
      const failed = run.failed !== undefined;
      results.add(`${key}_throughput`, run.perSecond, 'sagas/s', baseline.perSecond, targets[0], 0, failed);
      results.add(`${key}_cpu`, cpuPerSaga, 'cpu ms/saga', baseline.cpuMsPerChain, targets[1], 2, failed);
    }
  }
  return failures;
}
