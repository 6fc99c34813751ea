import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { placeOrder } from '../../application/commands/placeOrder';
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
import { testTokens, validOrder } from './testing/testService';

/**
 * The database goes away under the followers of the log while sagas run: the service's own MariaDB
 * account is locked and its connections killed — a restart drops them and refuses new ones — then
 * unlocked a moment later, three times over. The reactor and the projection retry until it is
 * back, /readyz names them meanwhile, and then they go on: every saga completes and both
 * followers end running, without a restart.
 */
jest.setTimeout(120_000);

describe('followers of the log through a database that goes away and comes back', () => {
  let database: TestDatabase;
  let account: MysqlOutageAccount;
  let service: Service;
  let dataDir: string;

  beforeAll(async () => {
    database = await createMysqlTestDatabase();
    account = await createMysqlOutageAccount(database, 'fr');
    dataDir = mkdtempSync(join(tmpdir(), 'follower-recovery-'));
    const config = loadConfig({
      DATABASE_URL: account.url,
      REDIS_URL: testRedisUrl,
      QUEUE_PREFIX: uniqueRedisPrefix('recovery'),
      DATA_DIR: dataDir,
      API_TOKENS: `client:${testTokens.client},operator:${testTokens.operator}`,
      JOB_ATTEMPTS: '10',
      JOB_BACKOFF_MS: '100',
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

  it('never give up: they retry while it is away, /readyz names them, and every saga completes', async () => {
    for (const sku of ['AMOX-500-CAP', 'IBU-200-TAB']) {
      await service.participants.catalog.putItem(sku, { name: sku, onHand: 100_000 });
    }
    const projection = service.startProjection();
    const { subscription: reactor } = startReactorRole(service, { idleWaitMs: 100 });
    await startWorkerRole(service, { concurrency: 8 });
    const app = service.createHttpApp();
    const origin = { causationId: 'test', actor: 'test' };
    const placed = await Promise.all(
      Array.from({ length: 60 }, () => placeOrder(service.commands, validOrder(), origin)),
    );

    const seen = new Set<string>();
    let namedByReadyz = false;
    const watching = setInterval(() => {
      for (const follower of [projection, reactor]) seen.add(follower.status().state);
    }, 5);
    for (let round = 0; round < 3; round++) {
      const down = account.outage(1_500);
      await new Promise((resolve) => setTimeout(resolve, 700));
      const ready = await request(app).get('/readyz');
      if (ready.status === 503 && /retrying/.test(JSON.stringify(ready.body))) namedByReadyz = true;
      // A command meanwhile: 503 UNAVAILABLE with Retry-After, at once, and nothing appended.
      const started = Date.now();
      const refused = await request(app)
        .post('/orders')
        .set('Authorization', `Bearer ${testTokens.client}`)
        .send({ ...validOrder(), patientId: 'during-the-outage' });
      expect({ status: refused.status, code: refused.body.error?.code }).toEqual({ status: 503, code: 'UNAVAILABLE' });
      expect(refused.headers['retry-after']).toBe('2');
      expect(Date.now() - started).toBeLessThan(5_000);
      await down;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    clearInterval(watching);

    const completed = async () => {
      const last = await Promise.all(
        placed.map(async ({ sagaId }) => (await service.eventStore.readStream(streamName.saga(sagaId))).at(-1)?.type),
      );
      return last.filter((type) => type === 'SagaCompleted').length;
    };
    const deadline = Date.now() + 60_000;
    while ((await completed()) < placed.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(await completed()).toBe(placed.length);
    expect(seen.has('retrying')).toBe(true);
    expect(namedByReadyz).toBe(true);
    const head = await service.eventStore.headPosition();
    expect(await projection.waitForPosition(head, 30_000)).toEqual({ state: 'running', position: head });
    expect(reactor.status().state).toBe('running');
    expect((await request(app).get('/readyz')).status).toBe(200);
    const created = (await service.eventStore.readAll({ after: 0, maxCount: 100_000 })).filter(
      (event) => event.type === 'OrderCreated',
    );
    expect(created.filter((event) => JSON.stringify(event.data).includes('during-the-outage'))).toEqual([]);
  });
});
