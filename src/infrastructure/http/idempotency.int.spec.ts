import request from 'supertest';
import type { Express } from 'express';
import { allEvents, startTestService, testTokens, validOrder, type TestService } from '../app/testing/testService';
import { canonicalJson } from './idempotency';
import { abandonedClaimAfterMs } from './idempotencyStore';

const client = `Bearer ${testTokens.client}`;

describe('Idempotency-Key', () => {
  let harness: TestService;
  let app: Express;

  beforeAll(async () => {
    harness = await startTestService('sqlite');
    app = harness.service.createHttpApp();
  });
  afterAll(() => harness.dispose());

  const send = (key: string, body: object, token = client) =>
    request(app).post('/orders').set('Authorization', token).set('Idempotency-Key', key).send(body);

  it('replays the first response to a retry and appends nothing more', async () => {
    const first = await send('order-key-1', validOrder());
    expect(first.status).toBe(202);
    const count = (await allEvents(harness.service.eventStore)).length;
    const [created] = (await allEvents(harness.service.eventStore)).slice(-1);
    expect(created!.metadata.causationId).toBe('order-key-1');

    const reordered = {
      shippingAddress: validOrder().shippingAddress,
      medications: validOrder().medications,
      patientId: 'patient-1',
    };
    const retry = await send('order-key-1', reordered);
    expect(retry.status).toBe(202);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect((await allEvents(harness.service.eventStore)).length).toBe(count);
  });

  it('answers 422 for the same key with a different body, appending nothing', async () => {
    await send('order-key-2', validOrder());
    const count = (await allEvents(harness.service.eventStore)).length;
    const other = await send('order-key-2', { ...validOrder(), patientId: 'someone-else' });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect((await allEvents(harness.service.eventStore)).length).toBe(count);
  });

  it('keeps keys per caller: another token with the same key places its own order', async () => {
    const first = await send('shared-key', validOrder());
    const second = await send('shared-key', validOrder(), `Bearer ${testTokens.operator}`);
    expect(second.status).toBe(202);
    expect(second.body.sagaId).not.toBe(first.body.sagaId);
  });

  it('survives a restart: keys are stored durably', async () => {
    const first = await send('durable-key', validOrder());
    const restartedApp = harness.service.createHttpApp();
    const retry = await request(restartedApp)
      .post('/orders')
      .set('Authorization', client)
      .set('Idempotency-Key', 'durable-key')
      .send(validOrder());
    expect(retry.body).toEqual(first.body);
  });

  it('replays a rejected request as rejected', async () => {
    const bad = await send('bad-key', { ...validOrder(), medications: [] });
    expect(bad.status).toBe(400);
    const again = await send('bad-key', { ...validOrder(), medications: [] });
    expect(again.status).toBe(400);
    expect(again.body).toEqual(bad.body);
  });

  it('hashes bodies independently of key order', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe(canonicalJson({ a: [{ c: 3, d: 2 }], b: 1 }));
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: '1' }));
  });

  it('a request whose process died before it answered: the retry takes the abandoned claim over and names the same order', async () => {
    const first = await send('crash-key', validOrder());
    const created = (await allEvents(harness.service.eventStore)).filter((event) => event.type === 'OrderCreated');
    // As if the process had died after the append and before storing the answer: the claim stays running.
    const { serviceDb } = harness.service;
    await serviceDb('idempotency_keys')
      .where('response_body', 'like', `%${first.body.sagaId}%`)
      .update({ response_status: null, response_body: null });
    const running = await send('crash-key', validOrder());
    expect(running.status).toBe(409);
    expect(running.body.error.code).toBe('IDEMPOTENCY_REQUEST_IN_PROGRESS');

    await serviceDb('idempotency_keys')
      .whereNull('response_status')
      .update({ created_at: new Date(Date.now() - abandonedClaimAfterMs - 1_000) });
    const retry = await send('crash-key', validOrder());
    expect(retry.status).toBe(202);
    expect({ sagaId: retry.body.sagaId, orderId: retry.body.orderId }).toEqual({
      sagaId: first.body.sagaId,
      orderId: first.body.orderId,
    });
    const createdAfter = (await allEvents(harness.service.eventStore)).filter((event) => event.type === 'OrderCreated');
    expect(createdAfter).toHaveLength(created.length);
  });

  it('a key freed by a failure on our side after its order was placed still names that order, for that body only', async () => {
    const first = await send('freed-key', validOrder());
    // As after a 5xx answered once the append was done: the key is released, the order stays.
    const release = () =>
      harness.service.serviceDb('idempotency_keys').where('response_body', 'like', `%${first.body.sagaId}%`).delete();
    await release();
    const same = await send('freed-key', validOrder());
    expect(same.status).toBe(202);
    expect(same.body.sagaId).toBe(first.body.sagaId);

    await release();
    const other = await send('freed-key', { ...validOrder(), patientId: 'someone-else' });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });
});
