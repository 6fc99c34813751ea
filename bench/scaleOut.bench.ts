/**
 * Scale-out and failover of the partitioned roles (issue 9, "Measured and reported"), end to end
 * on MariaDB + BullMQ, each layout on a fresh database and queue prefix (e2eService.ts):
 *
 *   all-in-one      npm start's process: the same-run baseline of the roles-apart rate
 *   reactors-1      the roles apart: serve, reactor, project, two workers (the baseline of both series)
 *   reactors-2, -4  the same with 2 and 4 reactor copies
 *   projectors-2, -4  the same with 2 and 4 projection copies (1 reactor)
 *   failover        2 reactor copies under a steady 20 orders/s; SIGKILL one, in turn, SCALEOUT_KILLS
 *                   times (failover.ts)
 *
 * Each layout runs, once its partitions are evenly split, a fixed load well under saturation
 * (SCALEOUT_RATE orders/s for SCALEOUT_SECONDS, autocannon as fixedRateLoad.ts; the CPU figure)
 * and then a throughput run (SCALEOUT_ORDERS orders, 64 in flight, as e2eThroughput.ts; sagas/s).
 * CPU is every process's, from /proc: each service process (and its descendants) by label,
 * mariadbd, redis-server; the bench itself, the client, is not counted. Each copy's share of the
 * sagas: the sagas of both runs (read-model rows), by the partition their id hashes to, credited to
 * the copy that held that partition in the lease table — exact when no partition changed hands
 * during the runs (the row says whether one did). Every figure is a ratio to a layout of the same
 * run: the machine is shared.
 *
 *   npm run bench:scaleout     (needs MariaDB at TEST_MYSQL_URL and Redis at TEST_REDIS_URL)
 *   SCALEOUT_RATE=30 SCALEOUT_SECONDS=15 SCALEOUT_ORDERS=1500 SCALEOUT_KILLS=10   the defaults
 *   SCALEOUT_ONLY=reactors-1,reactors-4   some cases only (all-in-one, reactors-1, -2, -4,
 *                                          projectors-2, -4, failover); the RESULT lines of a case
 *                                          left out, or of its baseline, are not met
 *   E2E_KEEP=1, E2E_PROFILE=1  as for bench:e2e (the service processes' output; their CPU profiles)
 */
import { orderFulfillmentSagasProjectionName } from '../src/application/projections/orderFulfillmentSagasProjection';
import { sagaReactorSubscriber } from '../src/application/saga/sagaReactorSubscription';
import { interrupted, runBench } from './support/benchMain';
import { BenchResults } from './support/benchResults';
import { countedCpuPer, openCpuWindow } from './support/cpuWindow';
import { profileDir, withService, type Copies, type RunningService } from './support/e2eService';
import { measureThroughput } from './support/e2eThroughput';
import { measureFailovers, type Failover } from './support/failover';
import { fixedRateLoad } from './support/fixedRateLoad';
import { openServerCounters, perSaga } from './support/mariadbCounters';
import { completedCount, waitSettled } from './support/orderLoad';
import { openPartitionView, sameHolders, sharesOf, waitEvenSplit, type CopyShare } from './support/partitionShares';
import type { BaselineRun } from './support/queueBaseline';
import { failedRun, printDetail, printRun, type SagaRun } from './support/sagaRows';

const rate = Number(process.env.SCALEOUT_RATE) || 30;
const seconds = Number(process.env.SCALEOUT_SECONDS) || 15;
const orders = Number(process.env.SCALEOUT_ORDERS) || 1_500;
const kills = Number(process.env.SCALEOUT_KILLS) || 10;
const only = process.env.SCALEOUT_ONLY?.split(',').map((name) => name.trim());
const selected = (name: string) => !only || only.includes(name);
const leaseSeconds = 3; // PARTITION_LEASE_MS's default, which the service runs with here

type Role = 'reactor' | 'project';
const followerOf: Record<Role, string> = {
  reactor: sagaReactorSubscriber,
  project: orderFulfillmentSagasProjectionName,
};
const copiesOf = (service: RunningService, role: Role) =>
  service.processes.filter(({ label }) => label === role || label.startsWith(`${role}-`));

type Measured = Readonly<{
  fixed: SagaRun;
  /** MariaDB's server-wide counters per saga over the fixed run (mariadbCounters.ts). */
  fixedStatements: string;
  throughput: SagaRun;
  shares: CopyShare[];
  stable: boolean;
}>;

/** The fixed load, timed until its sagas have all completed. */
async function fixedRun(service: RunningService): Promise<SagaRun> {
  const { api } = service;
  const before = await completedCount(api);
  const close = openCpuWindow(service.meterByProcess);
  const load = await fixedRateLoad(api.baseUrl, api.clientToken, { rate, seconds });
  // autocannon's count leaves out requests still unanswered when it stopped: wait for all to settle.
  const completed = (await waitSettled(api, before + load.requests, 120_000)) - before;
  const window = close();
  const problems = [
    load.all202 ? '' : `not every POST answered 202: ${load.codes}`,
    completed < load.requests ? `${completed}/${load.requests} completed within 120 s` : '',
  ].filter(Boolean);
  return {
    ...window,
    backend: 'mysql',
    perSecond: completed / window.seconds,
    completed,
    failed: problems.length > 0 ? problems.join('; ') : undefined,
  };
}

/** One roles-apart layout: both runs once the partitions are evenly split, and the scaled role's shares. */
async function measureLayout(copies: Copies, scaled: Role): Promise<Measured> {
  return withService(
    'mysql',
    'rolesApart',
    async (service) => {
      const view = openPartitionView(service.databaseUrl);
      const server = openServerCounters(service.databaseUrl);
      try {
        for (const role of ['reactor', 'project'] as const) {
          await waitEvenSplit(view, followerOf[role], copiesOf(service, role));
        }
        const before = await view.leases(followerOf[scaled]);
        const mark = await view.sagaMark();
        const countersBefore = await server.read();
        const fixed = await fixedRun(service);
        const fixedStatements = `${perSaga(countersBefore, await server.read(), fixed.completed)}; ${await server.connections()}`;
        const throughput = await measureThroughput(
          'mysql',
          'rolesApart',
          { ...service, meter: service.meterByProcess },
          orders,
        );
        const after = await view.leases(followerOf[scaled]);
        const shares = sharesOf(after, copiesOf(service, scaled), await view.sagasSince(mark));
        return { fixed, fixedStatements, throughput, shares, stable: sameHolders(before, after) };
      } finally {
        await Promise.all([view.close(), server.close()]);
      }
    },
    copies,
  );
}

const asBaseline = (run: SagaRun): BaselineRun => ({
  ...run,
  count: run.completed,
  cpuMsPerChain: countedCpuPer('mysql', run.cpuMsByGroup, run.completed),
});

const cpuPerSaga = (run: SagaRun) => countedCpuPer('mysql', run.cpuMsByGroup, run.completed);

function printShares(role: Role, { shares, stable }: Measured) {
  const total = shares.reduce((sum, share) => sum + share.sagas, 0);
  const each = shares.map(
    ({ label, partitions, sagas }) => `${label} ${partitions} partitions, ${((100 * sagas) / total).toFixed(1)} %`,
  );
  printDetail(
    `${followerOf[role]} shares of ${total} sagas (1/${shares.length} = ${(100 / shares.length).toFixed(1)} %): ${each.join('; ')}` +
      (stable
        ? '; no partition changed hands during the runs'
        : '; PARTITIONS CHANGED HANDS during the runs: approximate'),
  );
}

const median = (values: readonly number[]) => {
  const sorted = values.map((value) => (Number.isNaN(value) ? Infinity : value)).sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return sorted.length % 2 ? sorted[Math.floor(middle)]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

async function failoverCase(): Promise<Failover[]> {
  return withService(
    'mysql',
    'rolesApart',
    async (service) => {
      const view = openPartitionView(service.databaseUrl);
      try {
        return await measureFailovers(service, view, { kills, ordersPerSecond: 20, giveUpMs: 30_000 });
      } finally {
        await view.close();
      }
    },
    { reactor: 2 },
  );
}

async function main(): Promise<number> {
  const started = performance.now();
  if (profileDir) console.log(`CPU profiles of the service processes go to ${profileDir}`);
  console.log(
    `fixed load ${rate} orders/s for ${seconds} s (CPU), then ${orders} orders 64 in flight (sagas/s); ` +
      'CPU ms per saga over every process; ratios to the 1-copy layout of this run',
  );
  const results = new BenchResults();
  let failures = 0;

  const allInOne = selected('all-in-one')
    ? await withService('mysql', 'allInOne', (service) =>
        measureThroughput('mysql', 'allInOne', service, orders),
      ).catch((error: Error) => failedRun('mysql', error.message))
    : failedRun('mysql', 'not run');
  if (selected('all-in-one')) printRun('all-in-one max', allInOne, asBaseline(allInOne));

  const layouts = [
    { name: 'reactors-1', copies: {}, scaled: 'reactor' },
    { name: 'reactors-2', copies: { reactor: 2 }, scaled: 'reactor' },
    { name: 'reactors-4', copies: { reactor: 4 }, scaled: 'reactor' },
    { name: 'projectors-2', copies: { project: 2 }, scaled: 'project' },
    { name: 'projectors-4', copies: { project: 4 }, scaled: 'project' },
  ] as const satisfies readonly { name: string; copies: Copies; scaled: Role }[];
  const measured = new Map<string, Measured>();
  for (const { name, copies, scaled } of layouts) {
    if (interrupted()) break;
    if (!selected(name)) continue;
    const run = await measureLayout(copies, scaled).catch((error: Error) => {
      const failed = failedRun('mysql', error.message);
      return { fixed: failed, fixedStatements: '', throughput: failed, shares: [], stable: false };
    });
    measured.set(name, run);
    const one = measured.get('reactors-1') ?? run;
    printRun(`${name} @${rate}/s`, run.fixed, asBaseline(one.fixed));
    if (run.fixedStatements) printDetail(`MariaDB per saga (server-wide): ${run.fixedStatements}`);
    printRun(`${name} max`, run.throughput, asBaseline(one.throughput));
    if (run.shares.length > 0) printShares(scaled, run);
    if (name === 'reactors-1') {
      printDetail(`x${(run.throughput.perSecond / allInOne.perSecond).toFixed(3)} of the all-in-one rate`);
    }
    if (run.fixed.failed || run.throughput.failed) failures++;
  }

  let failovers: Failover[] = [];
  if (!interrupted() && selected('failover')) {
    failovers = await failoverCase().catch((error: Error) => {
      console.log(`failover FAILED: ${error.message}`);
      failures++;
      return [];
    });
    failovers.forEach(({ victim, partitions, leasesMs, sagaMs, totalMs }, index) =>
      console.log(
        `failover ${String(index + 1).padStart(2)}: SIGKILL ${victim} (${partitions} partitions): ` +
          `survivor holds them after ${(leasesMs / 1000).toFixed(2)} s, probe saga moved on after ${(sagaMs / 1000).toFixed(2)} s ` +
          `-> ${(totalMs / 1000).toFixed(2)} s`,
      ),
    );
  }

  const cpuResult = (name: string, layout: string) => {
    const [one, four] = [measured.get('reactors-1'), measured.get(layout)];
    const value = four ? cpuPerSaga(four.fixed) : NaN;
    const baseline = one ? cpuPerSaga(one.fixed) : NaN;
    const failed = !one || !four || Boolean(one.fixed.failed || four.fixed.failed);
    results.judged(name, value, 'cpu ms/saga', baseline, '<=1.10x 1 copy', 2, !failed && value / baseline <= 1.1);
  };
  cpuResult('scaleout_cpu_per_saga_4_reactors', 'reactors-4');
  cpuResult('scaleout_cpu_per_saga_4_projectors', 'projectors-4');
  const apart = measured.get('reactors-1')?.throughput;
  results.judged(
    'scaleout_roles_apart_vs_all_in_one_throughput',
    apart?.perSecond ?? NaN,
    'sagas/s',
    allInOne.perSecond,
    '>=0.90x all-in-one',
    0,
    !apart?.failed && !allInOne.failed && (apart?.perSecond ?? 0) / allInOne.perSecond >= 0.9,
  );
  const totals = failovers.map(({ totalMs }) => totalMs / 1000);
  const incomplete = totals.length < kills;
  const worst = totals.length > 0 ? Math.max(...totals.map((s) => (Number.isNaN(s) ? Infinity : s))) : NaN;
  results.add(
    'scaleout_failover_median',
    totals.length ? median(totals) : NaN,
    's',
    leaseSeconds,
    '<=5',
    2,
    incomplete,
  );
  results.add('scaleout_failover_max', worst, 's', leaseSeconds, '<=5', 2, incomplete);

  console.log(`bench time ${((performance.now() - started) / 1000).toFixed(0)} s`);
  results.print();
  if (profileDir) console.log(`CPU profiles: ${profileDir}`);
  return failures;
}

runBench(main);
