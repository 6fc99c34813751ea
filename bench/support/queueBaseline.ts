/**
 * The same-run baseline of the end-to-end bench (bench/e2e.bench.ts): the bare job queue of a
 * backend (built with buildService, as the service builds it) running a chain of three no-op jobs
 * per saga, each job enqueueing the next — the idea of queueChainBaseline in bench/saga.bench.ts.
 * It runs in this process; its CPU is this process's (process.cpuUsage) plus, on MariaDB, what
 * mariadbd and redis-server spent meanwhile (/proc).
 */
import { sampleStepJob } from '../../src/testing/sampleJobs';
import { silentLogger } from '../../src/application/ports/logger';
import { buildService } from '../../src/infrastructure/app/buildService';
import { loadConfig } from '../../src/infrastructure/config/config';
import { databaseLocations, migrateAll } from '../../src/infrastructure/database/databases';
import { createMetrics } from '../../src/infrastructure/observability/metrics';
import { prepareStorage, type Backend } from './benchStorage';
import { CpuMeter, cpuDelta, machineBusyMs, pidsNamed } from './processCpu';

export type BaselineRun = Readonly<{
  perSecond: number;
  cpuMsPerChain: number;
  cpuMsByGroup: Record<string, number>;
  /** CPU the machine spent on anything else during the window. */
  elsewhereMs: number;
}>;

const chain = ['CreatePrescription', 'ReserveInventory', 'InitiateShipment'] as const;

export async function queueChainBaseline(backend: Backend, count: number): Promise<BaselineRun> {
  const storage = await prepareStorage(backend);
  const config = loadConfig({ ...storage.env, LOG_LEVEL: 'silent' });
  await migrateAll(databaseLocations(config.databaseUrl));
  const service = buildService(config, { logger: silentLogger, metrics: createMetrics({ defaultMetrics: false }) });
  const queue = service.jobQueue;
  const meter = new CpuMeter({ mariadb: () => pidsNamed('mariadbd'), redis: () => pidsNamed('redis-server') });
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
    // Jobs as the reactor sends them (the order they carry included), each doing nothing.
    const jobs = Array.from({ length: count }, (_, index) => ({
      job: sampleStepJob({ name: chain[0], sagaId: `baseline-${index}`, orderId: `o-${index}`, causationId: 'bench' }),
    }));
    const before = meter.snapshot();
    const [cpuBefore, machineBefore] = [process.cpuUsage(), machineBusyMs()];
    const started = performance.now();
    for (let next = 0; next < count; next += 100) await queue.enqueueMany(jobs.slice(next, next + 100));
    await done;
    const seconds = (performance.now() - started) / 1000;
    const own = process.cpuUsage(cpuBefore);
    const others = cpuDelta(before, meter.snapshot());
    const machine = machineBusyMs() - machineBefore;
    await worker.close();
    const cpuMsByGroup: Record<string, number> = { bench: (own.user + own.system) / 1000 };
    if (backend === 'mysql') Object.assign(cpuMsByGroup, others);
    const total = Object.values(cpuMsByGroup).reduce((sum, ms) => sum + ms, 0);
    const elsewhereMs = machine - (own.user + own.system) / 1000 - Object.values(others).reduce((a, b) => a + b, 0);
    return { perSecond: count / seconds, cpuMsPerChain: total / count, cpuMsByGroup, elsewhereMs };
  } finally {
    await service.close();
    await storage.drop();
  }
}
