import { v4 as uuidv4 } from 'uuid';
import { startTestService, type TestService } from '../../infrastructure/app/testing/testService';
import { recordEvent, reports, sagaDriver, validOrder } from '../../infrastructure/app/testing/testService';
import { SqliteEventStore } from '../../infrastructure/eventStore/sqliteEventStore';
import { streamName } from '../../domain/events';
import { placeOrder } from '../commands/placeOrder';
import { requestCancellation } from '../commands/requestCancellation';
import { silentLogger } from '../ports/logger';
import type { JobQueue } from '../ports/jobQueue';
import { loadSaga } from './loadSaga';
import { createSagaReactor } from './sagaReactor';

/**
 * Loading a saga from its streams, the one way the reactor (on a cache miss) and the commands both
 * use: the start, or the last kept snapshot, then every input reacted to, replayed.
 */
describe('loadSaga', () => {
  let harness: TestService;
  const origin = { causationId: 'test', actor: 'test' };

  beforeEach(async () => {
    harness = await startTestService('sqlite');
  });
  afterEach(() => harness.dispose());

  const place = () => placeOrder(harness.service.commands, validOrder(), origin);
  const load = (sagaId: string, before?: string) =>
    loadSaga(harness.service.eventStore, harness.service.sagaDefinition, sagaId, { before });

  it('brings back the saga the reactor left, what it reacted to, and where to append next', async () => {
    const placed = await place();
    const driver = sagaDriver(harness.service);
    await driver.report(reports.prescriptionCreated(placed), reports.inventoryReservationFailed(placed));

    const loaded = await load(placed.sagaId);
    expect(loaded?.saga?.value).toBe('COMPENSATING');
    expect(loaded?.saga?.context).toMatchObject({
      runningCompensation: { compensation: 'CancelPrescription', round: 0 },
      compensationStack: ['CancelOrder', 'CancelPrescription'],
      failure: { step: 'ReserveInventory', code: 'INSUFFICIENT_STOCK' },
    });
    const sagaStream = await harness.service.eventStore.readStream(streamName.saga(placed.sagaId));
    expect(loaded?.revision).toBe(sagaStream.at(-1)!.revision);
    expect(loaded?.handledInputs.size).toBe(3);
    expect(loaded?.unhandledInputs).toEqual([]);
    expect(loaded?.order).toMatchObject({ sagaId: placed.sagaId, patientId: 'patient-1' });
  });

  it('brings back the saga as it was before a given input, to decide that input again', async () => {
    const placed = await place();
    await sagaDriver(harness.service).report(reports.prescriptionCreated(placed), reports.inventoryReserved(placed));
    const reserved = (await harness.service.eventStore.readStream(streamName.inventoryReservation(placed.orderId)))[0]!;

    const before = await load(placed.sagaId, reserved.metadata.eventId);
    expect(before?.saga?.value).toBe('PENDING_INVENTORY_RESERVATION');
    expect((await load(placed.sagaId))?.saga?.value).toBe('PENDING_SHIPMENT');
  });

  it('names the inputs not reacted to yet, say an operator retry the reactor has not seen', async () => {
    const placed = await place();
    await sagaDriver(harness.service).report(
      reports.prescriptionCreated(placed),
      reports.inventoryReservationFailed(placed),
      reports.compensationFailed(placed, 'CancelPrescription'),
    );
    await recordEvent(harness.service.eventStore, streamName.saga(placed.sagaId), {
      type: 'SagaRetryRequested',
      data: { ...placed, compensation: 'CancelPrescription', round: 0, requestedBy: 'op' },
    });

    const loaded = await load(placed.sagaId);
    expect(loaded?.saga?.value).toBe('MANUAL_REVIEW');
    expect(loaded?.unhandledInputs.map((event) => event.type)).toEqual(['SagaRetryRequested']);
  });

  it('uses a kept snapshot, and replays only what came after it', async () => {
    const placed = await place();
    const keepEverySecond = createSagaReactor({
      eventStore: harness.service.eventStore,
      jobQueue: { enqueueMany: async () => undefined } as unknown as JobQueue,
      definition: harness.service.sagaDefinition,
      clock: harness.service.clock,
      logger: silentLogger,
      snapshotEvery: 2,
    });
    const { eventStore } = harness.service;
    let position = 0;
    const react = async () => {
      const batch = await eventStore.readAll({ after: position, maxCount: 100 });
      if (batch.length > 0) await keepEverySecond.handleBatch(batch);
      position = batch.at(-1)?.position ?? position;
    };
    await react();
    for (const { stream, event } of [
      reports.prescriptionCreated(placed),
      reports.inventoryReserved(placed),
      reports.shipmentInitiated(placed),
    ]) {
      await recordEvent(eventStore, stream, event);
      await react();
    }
    const changes = (await eventStore.readStream(streamName.saga(placed.sagaId))).filter(
      (event) => event.type === 'SagaStateChanged',
    );
    expect(changes.map((event) => 'snapshot' in event.data)).toEqual([false, false, true, false]);

    const loaded = await load(placed.sagaId);
    expect(loaded?.inputsSinceSnapshot).toBe(1);
    expect(loaded?.saga?.value).toBe('COMPLETED');
  });

  it('loads a saga stored by the version that kept a snapshot in every SagaStateChanged (schema version 1)', async () => {
    const placed = await place();
    const store = harness.service.eventStore as SqliteEventStore;
    const startedAt = '2025-01-01T10:00:00.000Z';
    const context = {
      sagaId: placed.sagaId,
      orderId: placed.orderId,
      startedAt,
      endedAt: null,
      awaitingStep: 'ReserveInventory',
      runningCompensation: null,
      compensationStack: ['CancelOrder', 'CancelPrescription'],
      stepOutcomes: { CreatePrescription: 'succeeded' },
      nextRounds: {},
      failure: null,
      skippedSteps: [],
      cancellation: null,
      manualReview: null,
      resolution: null,
    };
    // As version 1 wrote it: xstate's persisted snapshot, whole, in the event.
    const v1Snapshot = {
      status: 'active',
      value: 'PENDING_INVENTORY_RESERVATION',
      historyValue: {},
      context,
      children: {},
    };
    const insert = store.db.prepare(
      `INSERT INTO events (stream_id, stream_revision, event_id, type, schema_version, data, metadata, occurred_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const rows = [
      ['SagaStarted', { machineVersion: 1 }],
      [
        'SagaStateChanged',
        {
          from: 'PENDING_PRESCRIPTION',
          to: 'PENDING_INVENTORY_RESERVATION',
          currentStep: 'ReserveInventory',
          compensationStack: ['CancelOrder', 'CancelPrescription'],
          machineVersion: 1,
          snapshot: v1Snapshot,
        },
      ],
    ] as const;
    rows.forEach(([type, data], revision) => {
      const metadata = { correlationId: placed.sagaId, causationId: uuidv4(), occurredAt: startedAt };
      insert.run(
        streamName.saga(placed.sagaId),
        revision,
        uuidv4(),
        type,
        1,
        JSON.stringify({ ...placed, ...data }),
        JSON.stringify(metadata),
        '2025-01-01 10:00:00.000',
      );
    });

    const loaded = await load(placed.sagaId);
    expect(loaded?.saga?.value).toBe('PENDING_INVENTORY_RESERVATION');
    // Restored as the version 1 saga it is (version 1 kept no machineVersion in the memory)...
    expect(loaded?.saga?.context).toEqual({ ...context, machineVersion: 1 });
    // ...and it goes on from there with this version's engine, by version 1's rules.
    const driver = sagaDriver(harness.service);
    await driver.report(reports.inventoryReserved(placed));
    expect((await load(placed.sagaId))?.saga?.value).toBe('PENDING_SHIPMENT');
    expect(driver.jobs.map(({ job }) => job.name)).toContain('InitiateShipment');
  });

  it('a saga the reactor cannot restore is stopped, named with the reason; the other sagas go on', async () => {
    const [broken, healthy] = [await place(), await place()];
    const store = harness.service.eventStore as SqliteEventStore;
    const created = (await store.readStream(streamName.order(broken.orderId)))[0]!;
    // Started by a machine version this service does not run.
    const metadata = JSON.stringify({
      correlationId: broken.sagaId,
      causationId: created.metadata.eventId,
      occurredAt: new Date().toISOString(),
    });
    const insert = store.db.prepare(
      `INSERT INTO events (stream_id, stream_revision, event_id, type, schema_version, data, metadata, occurred_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, '2025-01-01 10:00:00.000')`,
    );
    const stream = streamName.saga(broken.sagaId);
    insert.run(stream, 0, uuidv4(), 'SagaStarted', 1, JSON.stringify({ ...broken, machineVersion: 99 }), metadata);
    const started = {
      from: null,
      to: 'PENDING_PRESCRIPTION',
      currentStep: 'CreatePrescription',
      compensationStack: [],
    };
    insert.run(stream, 1, uuidv4(), 'SagaStateChanged', 2, JSON.stringify({ ...broken, ...started }), metadata);
    const driver = sagaDriver(harness.service);
    await driver.report(reports.prescriptionCreated(broken), reports.prescriptionCreated(healthy));

    expect((await load(healthy.sagaId))?.saga?.value).toBe('PENDING_INVENTORY_RESERVATION');
    expect(driver.stoppedSagas()).toEqual([
      {
        sagaId: broken.sagaId,
        reason: expect.stringMatching(/saga .* cannot be restored: .*machine version 99/),
        stoppedAt: expect.any(String),
      },
    ]);
    expect(driver.stoppedSagas()[0]!.reason).toContain(broken.sagaId);
    // A command on it is refused the same way, naming the saga (HTTP: 409).
    await expect(
      requestCancellation(harness.service.commands, { orderId: broken.orderId }, origin),
    ).rejects.toMatchObject({
      code: 'SAGA_MACHINE_VERSION_MISMATCH',
      saga: { sagaId: broken.sagaId },
      message: expect.stringContaining(`saga ${broken.sagaId} cannot be restored`),
    });
  });

  it('a stopped saga is kept stopped across restarts, and resumes, its skipped inputs decided, once it can be restored', async () => {
    const { service } = harness;
    const placed = await place();
    await sagaDriver(service).report(reports.prescriptionCreated(placed));
    // Stopped while PrescriptionCreated... then InventoryReserved arrived: skipped, still unhandled.
    await service.stoppedSagas.stop({
      sagaId: placed.sagaId,
      reason: 'a test stopped it',
      stoppedAt: new Date().toISOString(),
    });
    const reserved = reports.inventoryReserved(placed);
    await recordEvent(service.eventStore, reserved.stream, reserved.event);
    expect((await load(placed.sagaId))?.unhandledInputs.map((event) => event.type)).toEqual(['InventoryReserved']);

    const enqueued: string[] = [];
    const restarted = createSagaReactor({
      eventStore: service.eventStore,
      jobQueue: {
        enqueueMany: async (jobs: readonly { job: { name: string } }[]) =>
          void enqueued.push(...jobs.map(({ job }) => job.name)),
      } as unknown as JobQueue,
      definition: service.sagaDefinition,
      clock: service.clock,
      logger: silentLogger,
      stoppedSagas: service.stoppedSagas,
    });
    await restarted.resumeStopped();

    expect((await load(placed.sagaId))?.saga?.value).toBe('PENDING_SHIPMENT');
    expect(enqueued).toEqual(['InitiateShipment']);
    await expect(service.stoppedSagas.list()).resolves.toEqual([]);
  });
});
