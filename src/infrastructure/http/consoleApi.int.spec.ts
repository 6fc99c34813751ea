import request from 'supertest';
import type { Express } from 'express';
import { NonRetryableJobError, type QueueWorker } from '../../application/ports/jobQueue';
import { sampleCompensationJob, sampleStepJob } from '../../testing/sampleJobs';
import {
  allEvents,
  recordSagaState,
  startTestService,
  testTokens,
  validOrder,
  type TestService,
} from '../app/testing/testService';
import { standaloneOpenApiDocument } from './standaloneOpenApi';

/** The routes the operator console and the CLI poll (issue 10), on real storage and a real queue. */
const client = `Bearer ${testTokens.client}`;
const operator = `Bearer ${testTokens.operator}`;

type Placed = Readonly<{ orderId: string; sagaId: string }>;
type Changes = Readonly<{ items: { sagaId: string; state: string }[]; nextCursor: string }>;

describe.each(['sqlite', 'mysql'] as const)('operator console API on %s', (kind) => {
  let harness: TestService;
  let app: Express;
  let projection: ReturnType<TestService['service']['startProjection']>;

  beforeAll(async () => {
    harness = await startTestService(kind);
    app = harness.service.createHttpApp();
    projection = harness.service.startProjection();
  });
  afterAll(() => harness.dispose());

  const placeOrder = async (): Promise<Placed> => {
    const response = await request(app).post('/orders').set('Authorization', client).send(validOrder());
    expect(response.status).toBe(202);
    return response.body as Placed;
  };
  const projected = async () => {
    const head = (await allEvents(harness.service.eventStore)).at(-1)!.position;
    await projection.waitForPosition(head, 10_000);
  };
  const complete = (saga: Placed, occurredAt?: string) =>
    recordSagaState(
      harness.service.eventStore,
      saga,
      { from: 'PENDING_SHIPMENT', to: 'COMPLETED', currentStep: null, compensationStack: ['CancelOrder'] },
      occurredAt,
    );
  const changes = async (query: Record<string, string>): Promise<Changes> => {
    const response = await request(app).get('/sagas/changes').query(query).set('Authorization', client);
    expect(response.status).toBe(200);
    return response.body as Changes;
  };

  it('GET routes answer with a strong ETag and 304 without a body while nothing changed', async () => {
    const placed = await placeOrder();
    await projected();
    const first = await request(app).get(`/sagas/${placed.sagaId}`).set('Authorization', client);
    expect(first.status).toBe(200);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[^"]+"$/);
    const same = await request(app)
      .get(`/sagas/${placed.sagaId}`)
      .set('Authorization', client)
      .set('If-None-Match', etag);
    expect(same.status).toBe(304);
    expect(same.text).toBe('');

    await complete(placed);
    await projected();
    const changed = await request(app)
      .get(`/sagas/${placed.sagaId}`)
      .set('Authorization', client)
      .set('If-None-Match', etag);
    expect(changed.status).toBe(200);
    expect(changed.body.state).toBe('COMPLETED');
    expect(changed.headers.etag).not.toBe(etag);
    // Auth comes first: a stale tag without a token is still a 401 in the error shape.
    const anonymous = await request(app).get(`/sagas/${placed.sagaId}`).set('If-None-Match', etag);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('UNAUTHORIZED');
  });

  it('GET /sagas/changes starts from now, then hands out each change once, oldest first, a page at a time', async () => {
    await placeOrder();
    await projected();
    const now = await changes({});
    expect(now.items).toEqual([]);

    const [a, b] = [await placeOrder(), await placeOrder()];
    await complete(a);
    await projected();
    const firstPage = await changes({ after: now.nextCursor, limit: '1' });
    expect(firstPage.items.map((item) => item.sagaId)).toEqual([b.sagaId]);
    expect(firstPage.items[0]).toMatchObject({
      orderId: b.orderId,
      state: 'PENDING_PRESCRIPTION',
      compensationStack: [],
    });
    const secondPage = await changes({ after: firstPage.nextCursor });
    expect(secondPage.items.map((item) => [item.sagaId, item.state])).toEqual([[a.sagaId, 'COMPLETED']]);

    const nothingNew = await changes({ after: secondPage.nextCursor });
    expect(nothingNew).toEqual({ items: [], nextCursor: secondPage.nextCursor });

    const bad = await request(app).get('/sagas/changes?after=not-a-cursor').set('Authorization', client);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: ['after'] }] });
    expect(bad.body.error.message).toContain('nextCursor');
    const tooMany = await request(app).get('/sagas/changes?limit=501').set('Authorization', client);
    expect(tooMany.status).toBe(400);
    expect((await request(app).get('/sagas/changes')).status).toBe(401);
  });

  it('GET /sagas/throughput counts the sagas that ended in each bucket, every bucket present', async () => {
    const before = await request(app).get('/sagas/throughput').set('Authorization', client);
    expect(before.status).toBe(200);
    const completedBefore = before.body.buckets.reduce(
      (sum: number, bucket: { completed: number }) => sum + bucket.completed,
      0,
    );
    const [recent, old] = [await placeOrder(), await placeOrder()];
    await complete(recent);
    await complete(old, new Date(Date.now() - 20 * 60_000).toISOString());
    await projected();

    // Pollers share a result for up to a second: ask until one computed after the change comes.
    type Throughput = {
      bucketSeconds: number;
      buckets: { at: string; completed: number; cancelled: number; manualReview: number }[];
    };
    const completedIn = (answer: Throughput) => answer.buckets.reduce((sum, bucket) => sum + bucket.completed, 0);
    let answer: Throughput | undefined;
    await eventually(async () => {
      const response = await request(app).get('/sagas/throughput').set('Authorization', client);
      expect(response.status).toBe(200);
      answer = response.body as Throughput;
      return completedIn(answer) > completedBefore;
    });
    const { bucketSeconds, buckets } = answer!;
    expect(bucketSeconds).toBe(30);
    expect(buckets).toHaveLength(30);
    const starts = buckets.map((bucket) => Date.parse(bucket.at));
    expect(starts.slice(1).map((start, index) => start - starts[index]!)).toEqual(Array(29).fill(30_000));
    expect(starts.at(-1)).toBeLessThanOrEqual(Date.now());
    expect(Date.now() - starts.at(-1)!).toBeLessThan(30_000);
    // The saga completed 20 minutes ago lies outside the window: one more, not two.
    expect(buckets.reduce((sum, bucket) => sum + bucket.completed, 0)).toBe(completedBefore + 1);
    expect(buckets.at(-1)!.completed + (buckets.at(-2)?.completed ?? 0)).toBeGreaterThanOrEqual(1);

    const hour = await request(app).get('/sagas/throughput?minutes=60').set('Authorization', client);
    expect(hour.body.bucketSeconds).toBe(120);
    expect((await request(app).get('/sagas/throughput?minutes=61').set('Authorization', client)).status).toBe(400);
  });

  it('GET /jobs/stats counts the queue, and GET /jobs/dead-letters pages the dead letters for operators only', async () => {
    const { jobQueue } = harness.service;
    const stats = await request(app).get('/jobs/stats').set('Authorization', client);
    expect(stats.status).toBe(200);
    expect(stats.body).toEqual({ waiting: 0, active: 0, delayed: 0, deadLettered: 0 });

    const step = sampleStepJob({ sagaId: 'b1a3d9e2-0000-4000-8000-000000000001', name: 'ReserveInventory' });
    const compensation = sampleCompensationJob({ sagaId: 'b1a3d9e2-0000-4000-8000-000000000002' });
    let worker: QueueWorker | undefined;
    try {
      worker = await jobQueue.startWorker(
        {
          handle: async (job) => {
            throw new NonRetryableJobError(`${job.name} rejected by the test`);
          },
          onFailed: async () => {},
        },
        { concurrency: 1 },
      );
      await jobQueue.enqueue(step);
      await eventually(async () => (await jobQueue.deadLetters()).length === 1);
      await new Promise((resolve) => setTimeout(resolve, 5));
      await jobQueue.enqueue(compensation);
      await eventually(async () => (await jobQueue.deadLetters()).length === 2);
    } finally {
      await worker?.close();
    }

    expect((await request(app).get('/jobs/stats').set('Authorization', client)).body).toMatchObject({
      deadLettered: 2,
    });
    const asClient = await request(app).get('/jobs/dead-letters').set('Authorization', client);
    expect(asClient.status).toBe(403);
    const first = await request(app).get('/jobs/dead-letters?limit=1').set('Authorization', operator);
    expect(first.status).toBe(200);
    expect(first.body.items).toEqual([
      {
        jobId: `${compensation.sagaId}-CancelOrder-r0`,
        sagaId: compensation.sagaId,
        orderId: compensation.orderId,
        kind: 'compensation',
        name: 'CancelOrder',
        attempts: expect.any(Number),
        failedReason: 'CancelOrder rejected by the test',
        failedAt: expect.any(String),
      },
    ]);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await request(app)
      .get('/jobs/dead-letters')
      .query({ limit: '1', cursor: first.body.nextCursor })
      .set('Authorization', operator);
    expect(second.body.items.map((item: { jobId: string; kind: string }) => [item.jobId, item.kind])).toEqual([
      [`${step.sagaId}-ReserveInventory`, 'step'],
    ]);
    expect(second.body.nextCursor).toBeNull();
    const bad = await request(app).get('/jobs/dead-letters?cursor=xyz').set('Authorization', operator);
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('GET /saga-definition answers the machine as states and transitions', async () => {
    const response = await request(app).get('/saga-definition').set('Authorization', client);
    expect(response.status).toBe(200);
    expect(response.body.states).toHaveLength(7);
    expect(response.body.states[0]).toEqual({
      name: 'PENDING_PRESCRIPTION',
      kind: 'pending',
      step: 'CreatePrescription',
    });
    expect(response.body.transitions).toContainEqual({
      from: 'PENDING_SHIPMENT',
      to: 'COMPLETED',
      on: 'stepSucceeded',
    });
  });

  it('GET /inventory lists every item with its stock, in sku order', async () => {
    for (const [sku, onHand] of [
      ['ZZZ-2', 4],
      ['AAA-1', 7],
    ] as const) {
      const put = await request(app)
        .put(`/inventory/${sku}`)
        .set('Authorization', operator)
        .send({ name: `item ${sku}`, onHand });
      expect(put.status).toBe(200);
    }
    const response = await request(app).get('/inventory').set('Authorization', client);
    expect(response.status).toBe(200);
    const skus = response.body.items.map((item: { sku: string }) => item.sku);
    expect(skus).toEqual([...skus].sort());
    expect(response.body.items).toContainEqual({
      sku: 'AAA-1',
      name: 'item AAA-1',
      controlled: false,
      onHand: 7,
      reserved: 0,
      available: 7,
    });
    expect(skus).toContain('ZZZ-2');
  });

  it('/openapi.json names every operation, and `fulfillment openapi` prints that very document', async () => {
    const openapi = await request(app).get('/openapi.json');
    expect(standaloneOpenApiDocument(harness.service.config)).toEqual(openapi.body);
    const operations = Object.values(
      openapi.body.paths as Record<string, Record<string, { operationId?: string }>>,
    ).flatMap((methods) => Object.values(methods));
    expect(operations.length).toBeGreaterThan(15);
    expect(operations.filter((operation) => !operation.operationId)).toEqual([]);
    expect(Object.keys(openapi.body.paths)).toEqual(
      expect.arrayContaining([
        '/sagas/changes',
        '/sagas/throughput',
        '/jobs/stats',
        '/jobs/dead-letters',
        '/saga-definition',
        '/inventory',
      ]),
    );
  });
});

async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
