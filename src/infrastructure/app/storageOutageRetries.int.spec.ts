import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { placeOrder, type PlacedOrder } from '../../application/commands/placeOrder';
import { silentLogger } from '../../application/ports/logger';
import { streamName } from '../../domain/events';
import {
  createMysqlTestDatabase,
  testRedisUrl,
  uniqueRedisPrefix,
  type TestDatabase,
} from '../../testing/testServices';
import { createMysqlOutageAccount, type MysqlOutageAccount } from '../../testing/mysqlOutageAccount';
import { loadConfig } from '../config/config';
import { createMetrics } from '../observability/metrics';
import { buildService, type Service } from './buildService';
import { startReactorRole, startWorkerRole } from './sagaRoles';
import { allEvents, testTokens, validOrder } from './testing/testService';

/**
 * Issue 8, finding 7: an outage of our own storage is not the participant's failure. MariaDB goes
 * away (the service's own account locked and its connections killed, as a restart looks to the
 * service: followerRecovery.int.spec.ts) for far longer than a job's tries and their backoff last,
 * all together, while every order's first step is waiting to run. The workers meet the outage on
 * every try (the built-in participants and the event store live in that database): those tries
 * wait for the storage instead of spending attempts, and once it is back every order completes —
 * none cancelled, none given up, no dead letter.
 */
jest.setTimeout(120_000);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const attempts = 3;
const backoffMs = 100;
const outageMs = 6_000;

describe('job retries through an outage of our own storage (MariaDB + BullMQ)', () => {
  let database: TestDatabase;
  let account: MysqlOutageAccount;
  let service: Service;
  let dataDir: string;

  beforeAll(async () => {
    database = await createMysqlTestDatabase();
    account = await createMysqlOutageAccount(database, 'so');
    dataDir = mkdtempSync(join(tmpdir(), 'storage-outage-'));
    const config = loadConfig({
      DATABASE_URL: account.url,
      REDIS_URL: testRedisUrl,
      QUEUE_PREFIX: uniqueRedisPrefix('storage-outage'),
      DATA_DIR: dataDir,
      API_TOKENS: `client:${testTokens.client},operator:${testTokens.operator}`,
      JOB_ATTEMPTS: String(attempts),
      JOB_BACKOFF_MS: String(backoffMs),
      LOG_LEVEL: 'silent',
    });
    service = buildService(config, { logger: silentLogger, metrics: createMetrics({ defaultMetrics: false }) });
  });

  afterAll(async () => {
    await service?.close();
    await account?.drop();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('does not cancel a healthy order: tries that meet the outage wait for the storage, then every order completes', async () => {
    // All of a job's tries and the backoff between them would be over long before the outage is.
    const everyBackoffMs = Array.from({ length: attempts - 1 }, (_, n) => backoffMs * 2 ** n).reduce((a, b) => a + b);
    expect(outageMs).toBeGreaterThan(10 * everyBackoffMs);

    for (const sku of ['AMOX-500-CAP', 'IBU-200-TAB']) {
      await service.participants.catalog.putItem(sku, { name: sku, onHand: 100_000 });
    }
    startReactorRole(service, { idleWaitMs: 100 });
    const origin = { causationId: 'test', actor: 'test' };
    const placed: PlacedOrder[] = [];
    for (let i = 0; i < 12; i++) {
      placed.push(await placeOrder(service.commands, { ...validOrder(), patientId: `patient-${i}` }, origin));
    }
    // Their first steps are queued (in Redis, which stays up) before the workers start.
    const deadline = Date.now() + 15_000;
    while ((await service.jobQueue.depth()).waiting < placed.length) {
      if (Date.now() > deadline) throw new Error('the reactor did not enqueue the first steps in time');
      await sleep(50);
    }

    await account.goAway();
    const outageEnds = Date.now() + outageMs;
    await startWorkerRole(service, { concurrency: 4 });
    await sleep(outageEnds - Date.now() - 500);
    // Every try so far met the outage: none was spent, nothing was given up.
    expect(await service.jobQueue.deadLetters()).toEqual([]);
    const deferredDuringOutage = await deferrals(service, 'storage_unavailable');
    expect(deferredDuringOutage).toBeGreaterThan(placed.length * attempts);
    await sleep(outageEnds - Date.now());
    await account.comeBack();

    const states = () => sagaStates(service, placed);
    const completedBy = Date.now() + 60_000;
    while (!(await states()).every((state) => state === 'COMPLETED') && Date.now() < completedBy) await sleep(200);
    expect(await states()).toEqual(placed.map(() => 'COMPLETED'));

    const events = await allEvents(service.eventStore);
    const givenUp = events.filter((event) =>
      ['RETRIES_EXHAUSTED', 'STEP_TIMEOUT'].includes(String((event.data as { code?: unknown }).code)),
    );
    expect(givenUp).toEqual([]);
    expect(events.filter((event) => event.type === 'SagaFailed')).toEqual([]);
    expect(await service.jobQueue.deadLetters()).toEqual([]);
  });
});

async function deferrals(service: Service, reason: string): Promise<number> {
  const values = (await service.metrics.jobDeferrals.get()).values;
  return values.filter((value) => value.labels.reason === reason).reduce((sum, value) => sum + value.value, 0);
}

/** Each saga's state, as its stream last recorded it. */
async function sagaStates(service: Service, placed: readonly PlacedOrder[]) {
  return Promise.all(
    placed.map(async ({ sagaId }) => {
      const events = await service.eventStore.readStream(streamName.saga(sagaId));
      const change = events.findLast((event) => event.type === 'SagaStateChanged');
      return change?.type === 'SagaStateChanged' ? change.data.to : undefined;
    }),
  );
}
