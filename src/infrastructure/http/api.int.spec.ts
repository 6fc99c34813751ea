import request from 'supertest';
import type { Express } from 'express';
import { orderIdOf } from '../../application/commands/orderIds';
import { streamName } from '../../domain/events';
import {
  allEvents,
  reports,
  sagaDriver,
  recordSagaState,
  startTestService,
  testTokens,
  validOrder,
  type TestService,
} from '../app/testing/testService';
import { parseTraceparent } from '../observability/traceContext';

const client = `Bearer ${testTokens.client}`;
const operator = `Bearer ${testTokens.operator}`;

describe.each(['sqlite', 'mysql'] as const)('HTTP API on %s', (kind) => {
  let harness: TestService;
  let app: Express;

  beforeAll(async () => {
    harness = await startTestService(kind);
    app = harness.service.createHttpApp();
  });
  afterAll(() => harness.dispose());

  const placeOrder = async (body: object = validOrder(), headers: Record<string, string> = {}) => {
    const response = await request(app).post('/orders').set('Authorization', client).set(headers).send(body);
    expect(response.status).toBe(202);
    return response.body as { orderId: string; sagaId: string; state: string; links: Record<string, string> };
  };

  it('POST /orders answers 202 with ids, state and links, and appends one OrderCreated with full metadata', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const placed = await placeOrder(validOrder(), { traceparent, 'X-Request-Id': 'req-123' });
    expect(placed).toMatchObject({ state: 'PENDING_PRESCRIPTION', orderId: orderIdOf(placed.sagaId) });
    expect(placed.links).toEqual({
      order: `/orders/${placed.orderId}`,
      saga: `/sagas/${placed.sagaId}`,
      events: `/sagas/${placed.sagaId}/events`,
      cancel: `/orders/${placed.orderId}/cancel`,
    });
    const [created] = await harness.service.eventStore.readStream(streamName.order(placed.orderId));
    expect(created).toMatchObject({
      type: 'OrderCreated',
      revision: 0,
      data: { orderId: placed.orderId, sagaId: placed.sagaId, patientId: 'patient-1', prescriberId: null },
      metadata: { correlationId: placed.sagaId, causationId: 'req-123', traceparent, schemaVersion: 2 },
    });
    expect(parseTraceparent(created!.metadata.traceparent)).toBeDefined();
  });

  it('GET /sagas/:sagaId and GET /orders/:orderId answer at once, before any projection ran', async () => {
    const placed = await placeOrder();
    const saga = await request(app).get(`/sagas/${placed.sagaId}`).set('Authorization', client);
    expect(saga.status).toBe(200);
    expect(saga.body).toMatchObject({
      sagaId: placed.sagaId,
      orderId: placed.orderId,
      state: 'PENDING_PRESCRIPTION',
      compensationStack: [],
      failedStep: null,
      failureReason: null,
      completedAt: null,
    });
    const order = await request(app).get(`/orders/${placed.orderId}`).set('Authorization', client);
    expect(order.status).toBe(200);
    expect(order.body).toMatchObject({
      orderId: placed.orderId,
      sagaId: placed.sagaId,
      medications: validOrder().medications,
      saga: { state: 'PENDING_PRESCRIPTION' },
      participants: { prescription: null, inventoryReservation: null, shipment: null },
    });
  });

  it('GET /orders/:orderId reports what each participant said', async () => {
    const placed = await placeOrder();
    const { eventStore } = harness.service;
    const ids = { orderId: placed.orderId, sagaId: placed.sagaId };
    const metadata = (n: number) => ({
      eventId: `00000000-0000-4000-8000-${String(n).padStart(6, '0')}${placed.sagaId.slice(-6)}`,
      correlationId: placed.sagaId,
      causationId: 'test',
      occurredAt: new Date().toISOString(),
      schemaVersion: 1,
    });
    await eventStore.appendToStream(streamName.prescription(placed.orderId), [
      { type: 'PrescriptionCreated', data: { ...ids, prescriptionId: 'rx-1' }, metadata: metadata(1) },
    ]);
    await eventStore.appendToStream(streamName.inventoryReservation(placed.orderId), [
      {
        type: 'InventoryReserved',
        data: { ...ids, reservationId: 'res-1', lines: validOrder().medications },
        metadata: metadata(2),
      },
    ]);
    await eventStore.appendToStream(streamName.shipment(placed.orderId), [
      {
        type: 'ShipmentInitiated',
        data: { ...ids, shipmentId: 'sh-1', carrier: 'UPS', trackingNumber: '1Z999' },
        metadata: metadata(3),
      },
    ]);
    const order = await request(app).get(`/orders/${placed.orderId}`).set('Authorization', client);
    expect(order.body.participants).toEqual({
      prescription: { status: 'created', prescriptionId: 'rx-1' },
      inventoryReservation: { status: 'reserved', reservationId: 'res-1', lines: validOrder().medications },
      shipment: { status: 'initiated', shipmentId: 'sh-1', carrier: 'UPS', trackingNumber: '1Z999' },
    });
    const events = await request(app).get(`/sagas/${placed.sagaId}/events`).set('Authorization', client);
    expect(events.status).toBe(200);
    expect(events.body.events.map((event: { type: string }) => event.type)).toEqual([
      'OrderCreated',
      'PrescriptionCreated',
      'InventoryReserved',
      'ShipmentInitiated',
    ]);
    const positions = events.body.events.map((event: { position: number }) => event.position);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(events.body.events[1]).toMatchObject({
      stream: streamName.prescription(placed.orderId),
      data: { prescriptionId: 'rx-1' },
    });
  });

  it('POST /orders/:orderId/cancel answers 202, then 409 once the saga is final', async () => {
    const placed = await placeOrder();
    const cancel = await request(app)
      .post(`/orders/${placed.orderId}/cancel`)
      .set('Authorization', client)
      .send({ reason: 'changed my mind' });
    expect(cancel.status).toBe(202);
    expect(cancel.body).toMatchObject({ orderId: placed.orderId, sagaId: placed.sagaId });
    const orderEvents = await harness.service.eventStore.readStream(streamName.order(placed.orderId));
    expect(orderEvents.map((event) => event.type)).toEqual(['OrderCreated', 'OrderCancellationRequested']);

    const completed = await placeOrder();
    await sagaDriver(harness.service).report(
      reports.prescriptionCreated(completed),
      reports.inventoryReserved(completed),
      reports.shipmentInitiated(completed),
    );
    const again = await request(app).post(`/orders/${completed.orderId}/cancel`).set('Authorization', client);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({
      code: 'ORDER_ALREADY_FINAL',
      saga: { sagaId: completed.sagaId, state: 'COMPLETED' },
    });
  });

  it('retry and resolve need the operator role and a saga in MANUAL_REVIEW', async () => {
    const placed = await placeOrder();
    const asClient = await request(app).post(`/sagas/${placed.sagaId}/retry`).set('Authorization', client);
    expect(asClient.status).toBe(403);
    expect(asClient.body.error.code).toBe('FORBIDDEN');
    const tooEarly = await request(app).post(`/sagas/${placed.sagaId}/retry`).set('Authorization', operator);
    expect(tooEarly.status).toBe(409);
    expect(tooEarly.body.error).toMatchObject({ code: 'SAGA_STATE_CONFLICT', saga: { state: 'PENDING_PRESCRIPTION' } });

    // Prescription created, reservation rejected, then CancelPrescription fails for good.
    const driver = sagaDriver(harness.service);
    await driver.report(
      reports.prescriptionCreated(placed),
      reports.inventoryReservationFailed(placed),
      reports.compensationFailed(placed, 'CancelPrescription', 0),
    );
    const retry = await request(app).post(`/sagas/${placed.sagaId}/retry`).set('Authorization', operator);
    expect(retry.status).toBe(202);
    expect(retry.body).toMatchObject({ sagaId: placed.sagaId, compensation: 'CancelPrescription' });
    const sagaEvents = await harness.service.eventStore.readStream(streamName.saga(placed.sagaId));
    expect(sagaEvents.at(-1)).toMatchObject({
      type: 'SagaRetryRequested',
      data: { compensation: 'CancelPrescription', round: 0 },
    });
    // The reactor has not acted on the retry yet: a second operator action waits.
    const resolveTooSoon = await request(app)
      .post(`/sagas/${placed.sagaId}/resolve`)
      .set('Authorization', operator)
      .send({ note: 'done by hand' });
    expect(resolveTooSoon.status).toBe(409);

    // The reactor retries (round 1), and CancelPrescription fails again: back to MANUAL_REVIEW.
    await driver.report(reports.compensationFailed(placed, 'CancelPrescription', 1));
    const noNote = await request(app).post(`/sagas/${placed.sagaId}/resolve`).set('Authorization', operator).send({});
    expect(noNote.status).toBe(400);
    const resolve = await request(app)
      .post(`/sagas/${placed.sagaId}/resolve`)
      .set('Authorization', operator)
      .send({ note: 'refunded by phone' });
    expect(resolve.status).toBe(202);
    const last = (await harness.service.eventStore.readStream(streamName.saga(placed.sagaId))).at(-1);
    expect(last).toMatchObject({ type: 'SagaResolvedManually', data: { note: 'refunded by phone' } });
    expect(last!.data).toHaveProperty('resolvedBy', expect.stringMatching(/^operator:/));
  });

  it('GET /sagas lists by state and scope with a cursor, and GET /sagas/stats counts every state', async () => {
    const projection = harness.service.startProjection();
    const placed = [await placeOrder(), await placeOrder(), await placeOrder()];
    await recordSagaState(harness.service.eventStore, placed[0]!, {
      from: 'PENDING_SHIPMENT',
      to: 'COMPLETED',
      currentStep: null,
      compensationStack: ['CancelOrder', 'CancelPrescription', 'ReleaseInventory'],
    });
    const head = (await allEvents(harness.service.eventStore)).at(-1)!.position;
    expect((await projection.waitForPosition(head, 10_000)).position).toBeGreaterThanOrEqual(head);

    const pages: string[] = [];
    let cursor: string | null = null;
    do {
      const query: Record<string, string> = { scope: 'pending', limit: '2', ...(cursor ? { cursor } : {}) };
      const page = await request(app).get('/sagas').query(query).set('Authorization', client);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      pages.push(...page.body.items.map((item: { sagaId: string; state: string }) => item.sagaId));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(pages).toEqual(expect.arrayContaining([placed[1]!.sagaId, placed[2]!.sagaId]));
    expect(pages).not.toContain(placed[0]!.sagaId);
    expect(new Set(pages).size).toBe(pages.length);

    const completed = await request(app).get('/sagas?state=COMPLETED').set('Authorization', client);
    const completedIds = completed.body.items.map((item: { sagaId: string }) => item.sagaId);
    expect(completedIds).toContain(placed[0]!.sagaId);
    expect(completedIds).not.toEqual(expect.arrayContaining([placed[1]!.sagaId]));
    expect(completedIds).not.toEqual(expect.arrayContaining([placed[2]!.sagaId]));
    expect(completed.body.items.every((item: { completedAt: string | null }) => item.completedAt !== null)).toBe(true);

    const stats = await request(app).get('/sagas/stats').set('Authorization', client);
    expect(stats.status).toBe(200);
    expect(Object.keys(stats.body.counts).sort()).toEqual(
      [
        'CANCELLED',
        'COMPENSATING',
        'COMPLETED',
        'MANUAL_REVIEW',
        'PENDING_INVENTORY_RESERVATION',
        'PENDING_PRESCRIPTION',
        'PENDING_SHIPMENT',
      ].sort(),
    );
    expect(stats.body.counts.COMPLETED).toBeGreaterThanOrEqual(1);
    expect(typeof stats.body.durationsMs.p50).toBe('number');
    await projection.stop();
  });

  it('GET/PUT /inventory/:sku read and change stock; PUT needs the operator role', async () => {
    const missing = await request(app).get('/inventory/NOPE-1').set('Authorization', client);
    expect(missing.status).toBe(404);
    const asClient = await request(app).put('/inventory/TEST-1').set('Authorization', client).send({ onHand: 5 });
    expect(asClient.status).toBe(403);
    const put = await request(app)
      .put('/inventory/TEST-1')
      .set('Authorization', operator)
      .send({ name: 'Test tablets', controlled: false, onHand: 5 });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({
      sku: 'TEST-1',
      name: 'Test tablets',
      controlled: false,
      onHand: 5,
      reserved: 0,
      available: 5,
    });
    const get = await request(app).get('/inventory/TEST-1').set('Authorization', client);
    expect(get.body).toEqual(put.body);
  });

  it('serves /healthz, /readyz, /metrics and an /openapi.json generated from the request schemas', async () => {
    expect((await request(app).get('/healthz')).status).toBe(200);
    const ready = await request(app).get('/readyz');
    expect(ready.body).toMatchObject({ status: 'ready' });
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toEqual({
      database: 'ok',
      eventStore: 'ok',
      queue: 'ok',
      projection: { lagEvents: expect.any(Number) },
      followers: 'ok',
      // This service runs the projection: it holds every saga partition (partitionVisibility.int.spec.ts).
      partitions: {
        order_fulfillment_sagas: { owned: Array.from({ length: 16 }, (_, index) => index), lag: expect.any(Object) },
      },
      sagas: { stopped: 0, stoppedSagas: [] },
    });
    const metrics = await request(app).get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('fulfillment_http_request_duration_seconds');
    expect(metrics.text).toContain('fulfillment_sagas_started_total');
    const openapi = await request(app).get('/openapi.json');
    expect(openapi.status).toBe(200);
    const body = openapi.body.paths['/orders'].post.requestBody.content['application/json'].schema;
    const schema = body.$ref ? openapi.body.components.schemas[body.$ref.split('/').pop()] : body;
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.medications).toMatchObject({ minItems: 1, maxItems: 50 });
    expect(Object.keys(openapi.body.paths)).toEqual(
      expect.arrayContaining(['/orders/{orderId}/cancel', '/sagas/{sagaId}/retry', '/sagas/stats', '/inventory/{sku}']),
    );
  });
});
