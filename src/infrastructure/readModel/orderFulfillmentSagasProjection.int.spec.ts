import { placeOrder } from '../../application/commands/placeOrder';
import { orderFulfillmentSagasProjection } from '../../application/projections/orderFulfillmentSagasProjection';
import { projectionConsumer } from '../../application/projections/projection';
import { streamName } from '../../domain/events';
import {
  allEvents,
  recordEvent,
  recordSagaState,
  startTestService,
  validOrder,
  type TestService,
} from '../app/testing/testService';
import { knexSagaProjectionStorage, loadProjectionCheckpoint } from './knexProjectionStorage';
import { knexSagaReadModel } from './knexSagaReadModel';
import { rebuildSagasProjection } from './projectionRebuild';
import { liveSagasTable } from './sagaSummaryRows';
import { sqlSagaProjectionStorage } from './sqlSagaProjectionStorage';

const origin = { causationId: 'test', actor: 'test' };

/** A few sagas through different paths: completed, failed and cancelled, cancelled by request, pending. */
async function writeHistories(harness: TestService, count: number) {
  const { eventStore } = harness.service;
  const commands = { ...harness.service.commands, clock: { now: () => new Date('2024-05-01T10:00:00.000Z') } };
  for (let i = 0; i < count; i++) {
    const saga = await placeOrder(commands, validOrder(), origin);
    const at = (seconds: number) => new Date(Date.UTC(2024, 4, 1, 10, 0, seconds)).toISOString();
    await recordSagaState(
      eventStore,
      saga,
      { from: null, to: 'PENDING_PRESCRIPTION', currentStep: 'CreatePrescription', compensationStack: ['CancelOrder'] },
      at(1),
    );
    if (i % 4 === 3) continue;
    if (i % 4 === 2) {
      // Stands in for the customer: this saga is driven by hand, not by the reactor the command would ask.
      const cancellation = { type: 'OrderCancellationRequested', data: { ...saga, reason: null } } as const;
      await recordEvent(eventStore, streamName.order(saga.orderId), cancellation, at(2));
      await recordSagaState(
        eventStore,
        saga,
        { from: 'PENDING_PRESCRIPTION', to: 'CANCELLED', currentStep: null, compensationStack: [] },
        at(3),
      );
      continue;
    }
    await recordSagaState(
      eventStore,
      saga,
      {
        from: 'PENDING_PRESCRIPTION',
        to: 'PENDING_INVENTORY_RESERVATION',
        currentStep: 'ReserveInventory',
        compensationStack: ['CancelOrder', 'CancelPrescription'],
      },
      at(2 + i),
    );
    if (i % 4 === 1) {
      await recordEvent(
        eventStore,
        streamName.saga(saga.sagaId),
        {
          type: 'SagaFailed',
          data: { ...saga, failedStep: 'ReserveInventory', code: 'INSUFFICIENT_STOCK', reason: 'short' },
        },
        at(5 + i),
      );
      await recordSagaState(
        eventStore,
        saga,
        { from: 'COMPENSATING', to: 'CANCELLED', currentStep: null, compensationStack: [] },
        at(6 + i),
      );
      continue;
    }
    await recordSagaState(
      eventStore,
      saga,
      {
        from: 'PENDING_SHIPMENT',
        to: 'COMPLETED',
        currentStep: null,
        compensationStack: ['CancelOrder', 'CancelPrescription', 'ReleaseInventory'],
      },
      at(10 + i),
    );
  }
}

const rowsOf = (harness: TestService) => harness.service.serviceDb(liveSagasTable).orderBy('id').select();

describe.each(['sqlite', 'mysql'] as const)('order_fulfillment_sagas projection on %s', (kind) => {
  let harness: TestService;
  beforeEach(async () => {
    harness = await startTestService(kind);
  });
  afterEach(() => harness.dispose());

  /** The live projection's storage (prepared statements), as the service runs it. */
  const consumer = () =>
    projectionConsumer(orderFulfillmentSagasProjection, sqlSagaProjectionStorage(harness.service.serviceDb));

  it('folds each saga into one row, with its checkpoint, and a replay changes nothing', async () => {
    await writeHistories(harness, 8);
    const events = await allEvents(harness.service.eventStore);
    await consumer().handleBatch(events.slice(0, 10));
    await consumer().handleBatch(events.slice(10));
    expect(await loadProjectionCheckpoint(harness.service.serviceDb, orderFulfillmentSagasProjection.name)).toBe(
      events.at(-1)!.position,
    );
    const rows = await rowsOf(harness);
    expect(rows).toHaveLength(8);

    const readModel = knexSagaReadModel(harness.service.serviceDb);
    const counts = await readModel.countByState();
    expect(counts).toEqual({ COMPLETED: 2, CANCELLED: 4, PENDING_PRESCRIPTION: 2 });
    const failed = await readModel.list({ scope: 'failed' }, { limit: 50 });
    expect(failed.map((saga) => saga.failedStep)).toEqual(['ReserveInventory', 'ReserveInventory']);
    expect(failed[0]).toMatchObject({
      failureCode: 'INSUFFICIENT_STOCK',
      state: 'CANCELLED',
      completedAt: expect.any(String),
    });
    const completed = (await readModel.list({ state: 'COMPLETED' }, { limit: 50 }))[0]!;
    expect(completed.compensationStack).toEqual(['CancelOrder', 'CancelPrescription', 'ReleaseInventory']);
    expect(completed.completedAt).not.toBeNull();

    // Replaying everything, in one batch or in overlapping ones, leaves the rows as they were.
    await consumer().handleBatch(events);
    await consumer().handleBatch(events.slice(5, 20));
    expect(await rowsOf(harness)).toEqual(rows);
  });

  it('the live writer and the rebuild’s knex writer store the very same rows', async () => {
    await writeHistories(harness, 8);
    const events = await allEvents(harness.service.eventStore);
    for (let start = 0; start < events.length; start += 7) await consumer().handleBatch(events.slice(start, start + 7));
    const live = await rowsOf(harness);

    await harness.service.serviceDb(liveSagasTable).delete();
    const knexConsumer = projectionConsumer(
      orderFulfillmentSagasProjection,
      knexSagaProjectionStorage(harness.service.serviceDb, liveSagasTable),
      'knex',
    );
    await knexConsumer.handleBatch(events);
    expect(await rowsOf(harness)).toEqual(live);
  });

  it('rebuilds into a fresh table and swaps it in with exactly the live rows (SPEC §9.5)', async () => {
    await writeHistories(harness, 12);
    const subscription = harness.service.startProjection();
    const head = (await allEvents(harness.service.eventStore)).at(-1)!.position;
    await subscription.waitForPosition(head, 10_000);
    const live = await rowsOf(harness);
    expect(live).toHaveLength(12);

    // The live table is changed behind the projection's back: the rebuild must restore it.
    await harness.service.serviceDb(liveSagasTable).where({ id: live[0]!.id }).update({ state: 'MANUAL_REVIEW' });
    const progress: number[] = [];
    const result = await rebuildSagasProjection({
      serviceDb: harness.service.serviceDb,
      eventStore: harness.service.eventStore,
      headPosition: harness.service.headPosition,
      batchSize: 7,
      onProgress: (update) => progress.push(update.position),
    });
    expect(result.position).toBe(head);
    expect(progress.length).toBeGreaterThan(1);
    expect(await rowsOf(harness)).toEqual(live);
    expect(await harness.service.serviceDb.schema.hasTable(`${liveSagasTable}__rebuild`)).toBe(false);

    // The live follower keeps going on the swapped-in table.
    const extra = await placeOrder(harness.service.commands, validOrder(), origin);
    const newHead = (await allEvents(harness.service.eventStore)).at(-1)!.position;
    await subscription.waitForPosition(newHead, 10_000);
    expect(await knexSagaReadModel(harness.service.serviceDb).findBySagaId(extra.sagaId)).toBeDefined();
    await subscription.stop();
  });

  it('resumes an interrupted rebuild from its own checkpoint', async () => {
    await writeHistories(harness, 6);
    const events = await allEvents(harness.service.eventStore);
    await consumer().handleBatch(events);
    const live = await rowsOf(harness);

    let calls = 0;
    const interrupted = rebuildSagasProjection({
      serviceDb: harness.service.serviceDb,
      eventStore: harness.service.eventStore,
      headPosition: harness.service.headPosition,
      batchSize: 5,
      onProgress: () => {
        if (++calls === 2) throw new Error('interrupted');
      },
    });
    await expect(interrupted).rejects.toThrow('interrupted');
    const saved = await loadProjectionCheckpoint(
      harness.service.serviceDb,
      `${orderFulfillmentSagasProjection.name}__rebuild`,
    );
    expect(saved).toBe(events[9]!.position);

    const resumed = await rebuildSagasProjection({
      serviceDb: harness.service.serviceDb,
      eventStore: harness.service.eventStore,
      headPosition: harness.service.headPosition,
    });
    expect(resumed.resumedFrom).toBe(saved);
    expect(resumed.eventsApplied).toBe(events.length - 10);
    expect(await rowsOf(harness)).toEqual(live);
  });
});
