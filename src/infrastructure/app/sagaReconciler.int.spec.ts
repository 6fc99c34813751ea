import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { placeOrder, type PlacedOrder } from '../../application/commands/placeOrder';
import type { JobHandlers } from '../../application/ports/jobQueue';
import type { Logger } from '../../application/ports/logger';
import { streamName } from '../../domain/events';
import type { SagaState } from '../../domain/saga';
import {
  createMysqlTestDatabase,
  testRedisUrl,
  uniqueRedisPrefix,
  type TestDatabase,
} from '../../testing/testServices';
import { loadConfig } from '../config/config';
import { createMetrics } from '../observability/metrics';
import { obliterateBullmqQueue } from '../queue/testing/obliterateBullmqQueue';
import { buildService, type Service } from './buildService';
import { startReactorRole, startWorkerRole } from './sagaRoles';
import { startTestService, validOrder, type TestService } from './testing/testService';

/**
 * Issue 8, finding 2, on MariaDB + BullMQ: Redis loses its data (restarted without persistence, or a
 * failover that drops acknowledged writes) while step or compensation jobs wait in it. The reactor's
 * checkpoint has moved past the events that sent them, so only the reconciler can find those sagas
 * again: within RECONCILE_IDLE_MS + RECONCILE_INTERVAL_MS of the loss (shrunk here to 1 s + 0.5 s;
 * 10 s + 10 s by default), reported in a log line per job and in
 * fulfillment_reconciler_redriven_total. And when nothing is lost it re-drives nothing.
 */
jest.setTimeout(120_000);

const idleMs = 1_000;
const intervalMs = 500;
/** A loaded 2-core machine: a scan's own time, the polling of this test, timers firing late. */
const slackMs = 1_500;

type Logged = Readonly<{ level: string; fields: object; message?: string }>;

function recordingLogger(lines: Logged[], bindings: object = {}): Logger {
  const at =
    (level: string) =>
    (fields: object, message?: string): void =>
      void lines.push({ level, fields: { ...bindings, ...fields }, message });
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => recordingLogger(lines, { ...bindings, ...more }),
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await sleep(50);
  }
}

describe('the saga reconciler on MariaDB + BullMQ', () => {
  let database: TestDatabase;
  let service: Service;
  let prefix: string;
  let dataDir: string;
  let logged: Logged[];

  async function start(env: Readonly<Record<string, string>> = {}) {
    database = await createMysqlTestDatabase();
    prefix = uniqueRedisPrefix('reconciler');
    dataDir = mkdtempSync(join(tmpdir(), 'saga-reconciler-'));
    logged = [];
    const config = loadConfig({
      DATABASE_URL: database.url,
      REDIS_URL: testRedisUrl,
      QUEUE_PREFIX: prefix,
      DATA_DIR: dataDir,
      RECONCILE_INTERVAL_MS: String(intervalMs),
      RECONCILE_IDLE_MS: String(idleMs),
      LOG_LEVEL: 'silent',
      ...env,
    });
    service = buildService(config, {
      logger: recordingLogger(logged),
      metrics: createMetrics({ defaultMetrics: false }),
    });
    for (const sku of ['AMOX-500-CAP', 'IBU-200-TAB']) {
      await service.participants.catalog.putItem(sku, { name: sku, onHand: 100_000 });
    }
  }

  afterEach(async () => {
    await service?.close();
    await obliterateBullmqQueue(prefix).catch(() => undefined);
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const placeOrders = (count: number) =>
    Promise.all(
      Array.from({ length: count }, () =>
        placeOrder(service.commands, validOrder(), { causationId: 'test', actor: 'test' }),
      ),
    );

  const lastEventTypes = (placed: readonly PlacedOrder[]) =>
    Promise.all(
      placed.map(async ({ sagaId }) => (await service.eventStore.readStream(streamName.saga(sagaId))).at(-1)?.type),
    );

  const statesOf = async (placed: readonly PlacedOrder[]) =>
    Promise.all(placed.map(async ({ sagaId }) => (await service.queries.readModel.findBySagaId(sagaId))?.state));

  /** fulfillment_reconciler_redriven_total, summed over the series matching `labels`. */
  const redriven = async (labels: Readonly<Partial<Record<'kind' | 'name' | 'reason', string>>> = {}) =>
    (await service.metrics.reconcilerRedriven.get()).values
      .filter((value) =>
        Object.entries(labels).every(([key, label]) => value.labels[key as keyof typeof labels] === label),
      )
      .reduce((sum, value) => sum + value.value, 0);

  const redriveLines = () =>
    logged.filter((line) => line.message?.startsWith('reconciler re-drove ') && 'jobId' in line.fields);

  it('re-drives the first step of every saga whose job a Redis data loss took, within its bound, and all complete', async () => {
    await start();
    service.startProjection();
    startReactorRole(service, { idleWaitMs: 50 });
    // The workers are paused (not started): the first step jobs wait in Redis.
    const placed = await placeOrders(39);
    await until(async () => (await service.jobQueue.depth()).waiting === 39, 'the reactor sent 39 first step jobs');

    await obliterateBullmqQueue(prefix);
    const lostAt = Date.now();
    expect(await service.jobQueue.depth()).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
    await startWorkerRole(service, { concurrency: 8 });

    await until(async () => (await redriven()) >= 39, 'the reconciler re-drove the 39 lost jobs');
    const foundAfterMs = Date.now() - lostAt;
    await until(
      async () => (await lastEventTypes(placed)).every((type) => type === 'SagaCompleted'),
      'every saga completed',
    );

    expect(foundAfterMs).toBeLessThanOrEqual(idleMs + intervalMs + slackMs);
    expect(await redriven({ kind: 'step', name: 'CreatePrescription', reason: 'lost' })).toBe(39);
    expect(await redriven()).toBe(39);
    const lines = redriveLines();
    expect(lines).toHaveLength(39);
    expect(new Set(lines.map((line) => (line.fields as { sagaId: string }).sagaId))).toEqual(
      new Set(placed.map((order) => order.sagaId)),
    );
    expect(lines[0]).toMatchObject({
      level: 'warn',
      fields: { component: 'sagaReconciler', reason: 'lost', jobId: expect.stringMatching(/-CreatePrescription$/) },
      message: expect.stringMatching(
        /^reconciler re-drove step CreatePrescription of saga .+: the queue no longer held its job/,
      ),
    });
    // Re-driven once: each step ran once (one outcome each, the saga moved on from each).
    for (const { orderId } of placed) {
      const prescription = await service.eventStore.readStream(streamName.prescription(orderId));
      expect(prescription.map((event) => event.type)).toEqual(['PrescriptionCreated']);
    }
  });

  it('re-drives a compensation lost mid-unwind: its delayed retry went with the Redis data', async () => {
    // Retries a minute apart: the compensation's retry waits in Redis's delayed set when the data goes.
    await start({ JOB_ATTEMPTS: '3', JOB_BACKOFF_MS: '60000' });
    await service.participants.catalog.putItem('IBU-200-TAB', { name: 'IBU-200-TAB', onHand: 0 });
    service.startProjection();
    startReactorRole(service, { idleWaitMs: 50 });
    const tries: string[] = [];
    await startWorkerRole(service, {
      concurrency: 4,
      handlers: (handlers): JobHandlers => ({
        ...handlers,
        handle: async (job, context) => {
          tries.push(job.name);
          if (job.name === 'CancelPrescription' && tries.filter((name) => name === job.name).length === 1) {
            throw new Error('prescriptions service unavailable');
          }
          return handlers.handle(job, context);
        },
      }),
    });
    const placed = await placeOrders(1);
    await until(async () => (await service.jobQueue.depth()).delayed === 1, 'CancelPrescription waits for its retry');
    // The read model follows the log: wait for it to show the unwinding the job belongs to.
    await until(async () => (await statesOf(placed))[0] === ('COMPENSATING' satisfies SagaState), 'the saga unwinds');

    await obliterateBullmqQueue(prefix);
    const lostAt = Date.now();
    await until(async () => (await redriven()) >= 1, 'the reconciler re-drove the lost compensation');
    const foundAfterMs = Date.now() - lostAt;
    await until(async () => (await lastEventTypes(placed))[0] === 'SagaStateChanged', 'the saga moved on');
    await until(async () => (await statesOf(placed))[0] === 'CANCELLED', 'the saga ended CANCELLED');

    expect(foundAfterMs).toBeLessThanOrEqual(idleMs + intervalMs + slackMs);
    expect(await redriven({ kind: 'compensation', name: 'CancelPrescription', reason: 'lost' })).toBe(1);
    expect(await redriven()).toBe(1);
    expect(tries).toEqual([
      'CreatePrescription',
      'ReserveInventory',
      'CancelPrescription',
      'CancelPrescription',
      'CancelOrder',
    ]);
    const [{ orderId }] = placed as [PlacedOrder];
    expect((await service.eventStore.readStream(streamName.prescription(orderId))).map((event) => event.type)).toEqual([
      'PrescriptionCreated',
      'PrescriptionCancelled',
    ]);
    expect((await service.eventStore.readStream(streamName.order(orderId))).map((event) => event.type)).toEqual([
      'OrderCreated',
      'OrderCancelled',
    ]);
  });

  it('re-drives nothing when nothing is lost, though sagas wait in a backed-up queue longer than the idle time', async () => {
    await start({ RECONCILE_INTERVAL_MS: '200', RECONCILE_IDLE_MS: '500' });
    service.startProjection();
    const { reconciler } = startReactorRole(service, { idleWaitMs: 50 });
    // Two slow workers: jobs queue up, so sagas sit longer than the idle time on live jobs.
    await startWorkerRole(service, {
      concurrency: 2,
      handlers: (handlers): JobHandlers => ({
        ...handlers,
        handle: async (job, context) => {
          await sleep(15);
          return handlers.handle(job, context);
        },
      }),
    });
    const seen = { idle: 0, loaded: 0, scans: 0 };
    const watching = setInterval(() => {
      const scan = reconciler?.lastScan();
      if (!scan) return;
      seen.idle = Math.max(seen.idle, scan.idleSagas);
      seen.loaded = Math.max(seen.loaded, scan.loadedSagas);
    }, 20);
    const placed: PlacedOrder[] = [];
    for (let burst = 0; burst < 15; burst++) {
      placed.push(...(await placeOrders(10)));
      await sleep(100);
    }
    await until(
      async () => (await lastEventTypes(placed)).every((type) => type === 'SagaCompleted'),
      'every saga completed',
    );
    // Two more scans over the finished sagas.
    const scansBefore = (await service.metrics.reconcilerScans.get()).values[0]?.value ?? 0;
    await until(
      async () => ((await service.metrics.reconcilerScans.get()).values[0]?.value ?? 0) >= scansBefore + 2,
      'two more scans',
    );
    clearInterval(watching);

    expect(placed).toHaveLength(150);
    expect(seen.idle).toBeGreaterThan(0); // it did look at sagas waiting on jobs, and found them live
    expect(redriveLines()).toEqual([]);
    expect(await redriven()).toBe(0);
    expect(reconciler?.lastScan()).toMatchObject({ idleSagas: 0, loadedSagas: 0, redriven: [] });
  });
});

describe('the saga reconciler on the embedded default (SQLite, in-process queue)', () => {
  let running: TestService | undefined;

  afterEach(async () => {
    await running?.dispose();
    running = undefined;
  });

  it('records the failure of a dead letter whose onFailed could not, and the saga unwinds', async () => {
    running = await startTestService('sqlite', {
      RECONCILE_INTERVAL_MS: String(intervalMs),
      RECONCILE_IDLE_MS: String(idleMs),
      JOB_ATTEMPTS: '2',
      JOB_BACKOFF_MS: '10',
    });
    const { service } = running;
    service.startProjection();
    startReactorRole(service, { idleWaitMs: 50 });
    const reports: string[] = [];
    await startWorkerRole(service, {
      handlers: (handlers): JobHandlers => ({
        handle: async (job, context) => {
          if (job.name === 'ReserveInventory') throw new Error('inventory service answered 503');
          return handlers.handle(job, context);
        },
        // The store refuses the report, once: the job is dead-lettered and the saga never hears.
        onFailed: async (job, error) => {
          reports.push(job.name);
          if (reports.length === 1) throw new Error('event store unavailable');
          return handlers.onFailed(job, error);
        },
      }),
    });
    const placed = await placeOrder(service.commands, validOrder(), { causationId: 'test', actor: 'test' });
    const stateOf = async () => (await service.queries.readModel.findBySagaId(placed.sagaId))?.state;
    await until(async () => (await service.jobQueue.deadLetters()).length === 1, 'ReserveInventory is a dead letter');
    const failedAt = Date.now();

    await until(async () => (await stateOf()) === 'CANCELLED', 'the saga ended CANCELLED');
    const settledAfterMs = Date.now() - failedAt;

    const redriven = (await service.metrics.reconcilerRedriven.get()).values;
    expect(redriven.map(({ labels, value }) => ({ labels, value }))).toEqual([
      { labels: { kind: 'step', name: 'ReserveInventory', reason: 'failure_unrecorded' }, value: 1 },
    ]);
    expect(reports).toEqual(['ReserveInventory']); // the reconciler recorded it, not a second onFailed
    expect(settledAfterMs).toBeLessThanOrEqual(idleMs + intervalMs + slackMs + 2_000);
    const inventory = await service.eventStore.readStream(streamName.inventoryReservation(placed.orderId));
    // Given up with its outcome unknown, the reservation is released first: it finds nothing to undo.
    expect(inventory.map((event) => ({ type: event.type, code: (event.data as { code?: string }).code }))).toEqual([
      { type: 'InventoryReservationFailed', code: 'RETRIES_EXHAUSTED' },
      { type: 'InventoryReleased', code: undefined },
    ]);
    expect(inventory[1]!.data).toMatchObject({ undone: false });
    const prescription = await service.eventStore.readStream(streamName.prescription(placed.orderId));
    expect(prescription.map((event) => event.type)).toEqual(['PrescriptionCreated', 'PrescriptionCancelled']);
  });
});
