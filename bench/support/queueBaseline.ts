/**
 * The same-run baseline of the saga benches (bench/saga.bench.ts, bench/e2e.bench.ts): the bare
 * job queue of a backend (built with buildService, as the service builds it) running a chain of
 * three no-op jobs per saga, each job enqueueing the next — the ceiling the queue alone allows.
 * It runs in this process; its CPU is this process's (process.cpuUsage) plus, on MariaDB, what
 * mariadbd and redis-server spent meanwhile (/proc); on SQLite those two are idle noise, kept
 * apart (see cpuWindow.ts).
 */
import { sampleStepJob } from '../../src/testing/sampleJobs';
import { silentLogger } from '../../src/application/ports/logger';
import { buildService } from '../../src/infrastructure/app/buildService';
import { loadConfig } from '../../src/infrastructure/config/config';
import { databaseLocations, migrateAll } from '../../src/infrastructure/database/databases';
import { createMetrics } from '../../src/infrastructure/observability/metrics';
import { prepareStorage, type Backend } from './benchStorage';
import { countedCpuPer, openCpuWindow, type CpuWindow } from './cpuWindow';
import { CpuMeter, pidsNamed } from './processCpu';

export type BaselineRun = CpuWindow &
  Readonly<{ backend: Backend; count: number; perSecond: number; cpuMsPerChain: number }>;

const chain = ['CreatePrescription', 'ReserveInventory', 'InitiateShipment'] as const;

/** `count` chains; `env` adds settings (e.g. WORKER_CONCURRENCY) so the queue runs as the cases beside it do. */
export async function queueChainBaseline(
  backend: Backend,
  count: number,
  env: Record<string, string> = {},
): Promise<BaselineRun> {
  const storage = await prepareStorage(backend);
  const config = loadConfig({ ...storage.env, LOG_LEVEL: 'silent', ...env });
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
    const close = openCpuWindow(meter, 'bench');
    for (let next = 0; next < count; next += 100) await queue.enqueueMany(jobs.slice(next, next + 100));
    await done;
    const window = close();
    await worker.close();
    return {
      ...window,
      backend,
      count,
      perSecond: count / window.seconds,
      cpuMsPerChain: countedCpuPer(backend, window.cpuMsByGroup, count),
    };
  } finally {
    await service.close();
    await storage.drop();
  }
}
