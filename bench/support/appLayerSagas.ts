/**
 * One application-layer case of `npm run bench:saga` (no HTTP): orders placed with the placeOrder
 * command, the saga reactor following the log and a job worker in this process, optionally a
 * second worker in a child process (the CLI's `worker` role), until every saga has ended. Mix
 * `happy`, or `mixed`: 20% fail, one in fifteen at each of the three steps, and are compensated.
 *
 * CPU per saga is summed over every process involved, from the first order placed to the last
 * saga ended: this process (`app`: command, reactor, worker; process.cpuUsage), the child worker
 * and its descendants (`worker`, /proc), mariadbd and redis-server (/proc; counted on MariaDB,
 * idle noise on SQLite). The child is started, and seen to log "job worker started", before the
 * window opens, so its start-up is not counted.
 */
import { placeOrder, type PlaceOrderInput } from '../../src/application/commands';
import { silentLogger } from '../../src/application/ports/logger';
import { startSagaReactor } from '../../src/application/saga/sagaReactorSubscription';
import type { SagaState } from '../../src/domain/saga';
import { buildService } from '../../src/infrastructure/app/buildService';
import { startWorkerRole } from '../../src/infrastructure/app/sagaRoles';
import { loadConfig } from '../../src/infrastructure/config/config';
import { databaseLocations, migrateAll } from '../../src/infrastructure/database/databases';
import { createMetrics } from '../../src/infrastructure/observability/metrics';
import { prepareStorage, type Backend } from './benchStorage';
import { openCpuWindow } from './cpuWindow';
import { CpuMeter, descendantsOf, pidsNamed } from './processCpu';
import type { SagaRun } from './sagaRows';
import { spawnNode, stopAll, waitForOutput, type Spawned } from './serviceProcesses';

export type Mix = 'happy' | 'mixed';
export type AppLayerRun = SagaRun & Readonly<{ ended: Record<string, number> }>;

/** How the app-layer cases (and their baseline) run the queue, in this process and the child worker alike. */
export const appLayerEnv = {
  LOG_LEVEL: process.env.BENCH_LOG ?? 'silent',
  WORKER_CONCURRENCY: '32',
  JOB_ATTEMPTS: '5',
  JOB_BACKOFF_MS: '100',
};

const skus = Array.from({ length: 32 }, (_, index) => `BENCH-${index}`);
const ENDED_TIMEOUT_MS = 120_000;

function orderInput(index: number, mix: Mix): PlaceOrderInput {
  const failAt = mix === 'mixed' ? index % 15 : -1; // 0: prescription, 1: inventory, 2: shipment
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

async function startChildWorker(env: Record<string, string>): Promise<Spawned> {
  const child = spawnNode('worker', ['src/infrastructure/cli/main.ts', 'worker'], { ...env, LOG_LEVEL: 'info' });
  await waitForOutput(child, 'job worker started');
  return child;
}

/** Places `count` orders and waits until every saga has ended (or 120 s have passed). */
export async function runAppLayerSagas(
  backend: Backend,
  mix: Mix,
  workers: 1 | 2,
  count: number,
): Promise<AppLayerRun> {
  const storage = await prepareStorage(backend);
  const env = { ...storage.env, ...appLayerEnv };
  const config = loadConfig(env);
  await migrateAll(databaseLocations(config.databaseUrl));
  const service = buildService(config, { logger: silentLogger, metrics: createMetrics({ defaultMetrics: false }) });
  const children: Spawned[] = [];
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
    if (workers === 2) children.push(await startChildWorker(env));
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

    const childPids = children.map(({ child }) => child.pid!);
    const meter = new CpuMeter({
      ...(childPids.length > 0 ? { worker: () => descendantsOf(...childPids) } : {}),
      mariadb: () => pidsNamed('mariadbd'),
      redis: () => pidsNamed('redis-server'),
    });
    const close = openCpuWindow(meter, 'app');
    const origin = { causationId: 'bench', actor: 'bench' };
    for (let next = 0; next < count; next += 100) {
      const batch = Array.from({ length: Math.min(100, count - next) }, (_, offset) => orderInput(next + offset, mix));
      await Promise.all(batch.map((input) => placeOrder(service.commands, input, origin)));
    }
    const timeout = setTimeout(allEnded, ENDED_TIMEOUT_MS);
    await done;
    clearTimeout(timeout);
    const window = close();
    await reactor.subscription.stop();
    return {
      ...window,
      backend,
      perSecond: endedCount / window.seconds,
      completed: endedCount,
      ended,
      failed: endedCount < count ? `${endedCount}/${count} sagas ended within ${ENDED_TIMEOUT_MS / 1000} s` : undefined,
    };
  } finally {
    await stopAll(children);
    await service.close();
    await storage.drop();
  }
}
