import type { RecordedEvent } from '../src/application/ports/eventStore';
import type { SagaState } from '../src/domain/saga';
import type { Participants } from '../src/infrastructure/participants/createParticipants';
import { faultyParticipants } from './support/faultyParticipants';
import {
  available,
  builtinParticipants,
  commands,
  compensationsOwed,
  compensationsRan,
  eventsOfSaga,
  openStorage,
  order,
  runSagas,
  seedCatalog,
  typesOf,
  unwindingProblems,
  waitFor,
  waitForState,
  type Backend,
  type RunningSaga,
  type Storage,
} from './support/sagaHarness';

/**
 * SPEC §2's failure table, end to end through the application layer (commands in, reactor,
 * queue, workers, built-in participants), on the embedded default and on MariaDB + BullMQ. Each
 * row checks the final state, the compensations that ran (exactly the successful steps, last in
 * first out: §9.2) and the stock afterwards (§9.3).
 */
const deadlineMs = 2_000;
const stock = 50;

/** Consecutive repeats collapsed: the states the saga went through. */
const statesOf = (events: readonly RecordedEvent[]): SagaState[] =>
  events
    .flatMap((event) => (event.type === 'SagaStateChanged' ? [event.data.to] : []))
    .filter((state, index, states) => state !== states[index - 1]);

/** The compensation stack the saga's last SagaStateChanged recorded. */
const compensationStackOf = (events: readonly RecordedEvent[]) => {
  const last = events.findLast((event) => event.type === 'SagaStateChanged');
  return last?.type === 'SagaStateChanged' ? last.data.compensationStack : undefined;
};

describe.each<Backend>(['sqlite', 'mysql'])('saga failure table on %s', (backend) => {
  let storage: Storage;
  let running: RunningSaga;
  let catalog: Participants;
  let faults: ReturnType<typeof faultyParticipants>;
  let run: ReturnType<typeof commands>;

  beforeAll(async () => {
    storage = await openStorage(backend, {
      deadlinesMs: { CreatePrescription: deadlineMs, ReserveInventory: deadlineMs, InitiateShipment: deadlineMs },
    });
    catalog = builtinParticipants(storage);
    faults = faultyParticipants(catalog);
    await seedCatalog(catalog, {
      'HAPPY-1': { onHand: stock },
      'CTRL-1': { onHand: stock, controlled: true },
      'SCARCE-1': { onHand: 3 },
      'SHIP-1': { onHand: stock },
      'REVIEW-1': { onHand: 1 },
      'RESOLVE-1': { onHand: 1 },
      'CANCEL-1': { onHand: stock },
      'TIMEOUT-1': { onHand: stock },
      'LATE-SHIP-1': { onHand: stock },
      'LATE-ANSWER-1': { onHand: stock },
      'CANCEL-SHIP-1': { onHand: stock },
    });
    running = await runSagas(storage, { participants: faults.participants });
    run = commands(storage);
  });

  afterAll(async () => {
    await running?.stop();
    await storage?.close();
  });

  const place = async (patientId: string, sku: string, quantity: number, extra: Parameters<typeof order>[0] = {}) => {
    const placed = await run.place(order({ patientId, medications: [{ sku, quantity }], ...extra }));
    return { ...placed, events: () => eventsOfSaga(storage.eventStore, placed.sagaId, placed.orderId) };
  };
  const settle = (sagaId: string, states: SagaState[], timeoutMs?: number) =>
    waitForState(storage.eventStore, sagaId, states, timeoutMs);

  it('happy path: every step succeeds, COMPLETED, stock lower by the order', async () => {
    const saga = await place('p-happy', 'HAPPY-1', 4);
    expect(await settle(saga.sagaId, ['COMPLETED', 'CANCELLED', 'MANUAL_REVIEW'])).toBe('COMPLETED');
    const events = await saga.events();
    expect(typesOf(events).filter((type) => !type.startsWith('Saga'))).toEqual([
      'OrderCreated',
      'PrescriptionCreated',
      'InventoryReserved',
      'ShipmentInitiated',
    ]);
    expect(statesOf(events)).toEqual([
      'PENDING_PRESCRIPTION',
      'PENDING_INVENTORY_RESERVATION',
      'PENDING_SHIPMENT',
      'COMPLETED',
    ]);
    expect(typesOf(events).filter((type) => type === 'SagaCompleted')).toHaveLength(1);
    expect(compensationsRan(events)).toEqual([]);
    // Every success pushed its compensation, the shipment's too; a saga completed in time runs none.
    expect(compensationStackOf(events)).toEqual([
      'CancelOrder',
      'CancelPrescription',
      'ReleaseInventory',
      'CancelShipment',
    ]);
    expect(await shipmentStatus(saga.sagaId)).toBe('initiated');
    expect(await available(catalog, 'HAPPY-1')).toBe(stock - 4);
  });

  it('prescription fails (controlled sku, no prescriber): CancelOrder, CANCELLED', async () => {
    const saga = await place('p-rx', 'CTRL-1', 2, { prescriberId: undefined });
    expect(await settle(saga.sagaId, ['COMPLETED', 'CANCELLED', 'MANUAL_REVIEW'])).toBe('CANCELLED');
    const events = await saga.events();
    expect(events.find((event) => event.type === 'PrescriptionFailed')?.data).toMatchObject({
      code: 'PRESCRIBER_REQUIRED',
    });
    expect(compensationsRan(events)).toEqual(['CancelOrder']);
    expect(compensationsRan(events)).toEqual(compensationsOwed(events).reverse());
    expect(statesOf(events)).toEqual(['PENDING_PRESCRIPTION', 'COMPENSATING', 'CANCELLED']);
    expect(await available(catalog, 'CTRL-1')).toBe(stock);
  });

  it('inventory reservation fails (insufficient stock): CancelPrescription → CancelOrder, CANCELLED', async () => {
    const saga = await place('p-inv', 'SCARCE-1', 5);
    expect(await settle(saga.sagaId, ['COMPLETED', 'CANCELLED', 'MANUAL_REVIEW'])).toBe('CANCELLED');
    const events = await saga.events();
    expect(events.find((event) => event.type === 'InventoryReservationFailed')?.data).toMatchObject({
      code: 'INSUFFICIENT_STOCK',
      shortLines: [{ sku: 'SCARCE-1', requested: 5, available: 3 }],
    });
    expect(compensationsRan(events)).toEqual(['CancelPrescription', 'CancelOrder']);
    expect(compensationsRan(events)).toEqual(compensationsOwed(events).reverse());
    expect(await available(catalog, 'SCARCE-1')).toBe(3);
  });

  it('shipment fails (unsupported country): ReleaseInventory → CancelPrescription → CancelOrder, CANCELLED, stock restored', async () => {
    const saga = await place('p-ship', 'SHIP-1', 7, {
      shippingAddress: { line1: '1-1 Chiyoda', city: 'Tokyo', postalCode: '100-0001', country: 'JP' },
    });
    expect(await settle(saga.sagaId, ['COMPLETED', 'CANCELLED', 'MANUAL_REVIEW'])).toBe('CANCELLED');
    const events = await saga.events();
    expect(events.find((event) => event.type === 'ShipmentInitiationFailed')?.data).toMatchObject({
      code: 'UNSUPPORTED_DESTINATION',
    });
    expect(compensationsRan(events)).toEqual(['ReleaseInventory', 'CancelPrescription', 'CancelOrder']);
    expect(compensationsRan(events)).toEqual(compensationsOwed(events).reverse());
    expect(statesOf(events)).toEqual([
      'PENDING_PRESCRIPTION',
      'PENDING_INVENTORY_RESERVATION',
      'PENDING_SHIPMENT',
      'COMPENSATING',
      'CANCELLED',
    ]);
    expect(await available(catalog, 'SHIP-1')).toBe(stock);
  });

  it('a compensation that fails after its retries stops unwinding in MANUAL_REVIEW; an operator retry finishes it: CANCELLED', async () => {
    faults.failCompensation('p-review', 'CancelPrescription');
    const saga = await place('p-review', 'REVIEW-1', 2);
    expect(await settle(saga.sagaId, ['COMPLETED', 'CANCELLED', 'MANUAL_REVIEW'])).toBe('MANUAL_REVIEW');
    const inReview = await saga.events();
    expect(inReview.find((event) => event.type === 'SagaCompensationFailed')?.data).toMatchObject({
      compensation: 'CancelPrescription',
      round: 0,
    });
    expect(compensationsRan(inReview)).toEqual([]); // unwinding stopped: CancelOrder has not run

    faults.healCompensation('p-review');
    await run.retry(saga.sagaId);
    expect(await settle(saga.sagaId, ['CANCELLED'])).toBe('CANCELLED');
    const events = await saga.events();
    expect(compensationsRan(events)).toEqual(['CancelPrescription', 'CancelOrder']);
    expect(compensationsRan(events)).toEqual(compensationsOwed(events).reverse());
    expect(statesOf(events).slice(-3)).toEqual(['MANUAL_REVIEW', 'COMPENSATING', 'CANCELLED']);
    expect(await available(catalog, 'REVIEW-1')).toBe(1);
  });

  it('a saga in MANUAL_REVIEW that an operator resolves by hand ends CANCELLED with the note recorded', async () => {
    faults.failCompensation('p-resolve', 'CancelPrescription');
    const saga = await place('p-resolve', 'RESOLVE-1', 2);
    expect(await settle(saga.sagaId, ['COMPLETED', 'CANCELLED', 'MANUAL_REVIEW'])).toBe('MANUAL_REVIEW');

    await run.resolve(saga.sagaId, 'prescription voided by phone');
    expect(await settle(saga.sagaId, ['CANCELLED'])).toBe('CANCELLED');
    const events = await saga.events();
    expect(events.find((event) => event.type === 'SagaResolvedManually')?.data).toMatchObject({
      note: 'prescription voided by phone',
    });
    expect(compensationsRan(events)).toEqual([]); // the operator took the rest over by hand
    expect(statesOf(events).slice(-2)).toEqual(['MANUAL_REVIEW', 'CANCELLED']);
    expect(await available(catalog, 'RESOLVE-1')).toBe(1);
  });

  it('the customer cancels mid-saga: the step in flight that then succeeds is compensated too, CANCELLED', async () => {
    const hold = faults.hold('p-cancel', 'ReserveInventory');
    const saga = await place('p-cancel', 'CANCEL-1', 6);
    await hold.entered; // the reservation is in flight
    await run.cancel(saga.orderId);
    await settle(saga.sagaId, ['COMPENSATING']);
    hold.release();
    expect(await settle(saga.sagaId, ['COMPLETED', 'CANCELLED', 'MANUAL_REVIEW'])).toBe('CANCELLED');
    const events = await saga.events();
    expect(typesOf(events)).toContain('OrderCancellationRequested');
    expect(typesOf(events)).toContain('InventoryReserved');
    expect(compensationsRan(events)).toEqual(['ReleaseInventory', 'CancelPrescription', 'CancelOrder']);
    expect(compensationsRan(events)).toEqual(compensationsOwed(events).reverse());
    expect(typesOf(events)).not.toContain('ShipmentInitiated');
    expect(await available(catalog, 'CANCEL-1')).toBe(stock);
  });

  it('a reservation held past its deadline, not yet made: released first (nothing to undo), then the table, CANCELLED; made after the end, it does nothing', async () => {
    const hold = faults.hold('p-timeout', 'ReserveInventory', 'beforeActing');
    const saga = await place('p-timeout', 'TIMEOUT-1', 9);
    await hold.entered; // the participant has the request but has not acted...
    expect(await settle(saga.sagaId, ['COMPLETED', 'CANCELLED', 'MANUAL_REVIEW'], deadlineMs + 15_000)).toBe(
      'CANCELLED',
    );
    const cancelled = await saga.events();
    expect(cancelled.find((event) => event.type === 'InventoryReservationFailed')?.data).toMatchObject({
      code: 'STEP_TIMEOUT',
    });
    // The outcome was unknown: its compensation ran first, and found nothing to undo.
    expect(compensationsRan(cancelled)).toEqual(['ReleaseInventory', 'CancelPrescription', 'CancelOrder']);
    expect(cancelled.find((event) => event.type === 'InventoryReleased')?.data).toMatchObject({
      lines: [],
      undone: false,
    });
    expect(unwindingProblems(cancelled)).toEqual([]);
    expect(await available(catalog, 'TIMEOUT-1')).toBe(stock);

    hold.release(); // ...and acts only after the saga has ended: the release's tombstone refuses it
    await waitFor('the late reservation to be refused', async () => (faults.settled(saga.sagaId) ? true : undefined));
    await sleep(300); // let anything it might append land before looking
    expect(await reservationStatus(saga.sagaId)).toBe('tombstone');
    const events = await saga.events();
    expect(typesOf(events)).not.toContain('InventoryReserved');
    expect(events).toHaveLength(cancelled.length);
    expect(await sagaStateNow(saga.sagaId)).toBe('CANCELLED');
    expect(await available(catalog, 'TIMEOUT-1')).toBe(stock);
  });

  it('a reservation made but answered after its deadline: released before CANCELLED; its late answer is recorded and pushes nothing', async () => {
    const hold = faults.hold('p-late-answer', 'ReserveInventory', 'afterActing');
    const saga = await place('p-late-answer', 'LATE-ANSWER-1', 11);
    await hold.entered; // the stock is taken, the answer held back
    expect(await available(catalog, 'LATE-ANSWER-1')).toBe(stock - 11);
    expect(await settle(saga.sagaId, ['COMPLETED', 'CANCELLED', 'MANUAL_REVIEW'], deadlineMs + 15_000)).toBe(
      'CANCELLED',
    );
    // Terminal means settled: by the time the saga is CANCELLED, the stock is back.
    expect(await available(catalog, 'LATE-ANSWER-1')).toBe(stock);
    const cancelled = await saga.events();
    expect(compensationsRan(cancelled)).toEqual(['ReleaseInventory', 'CancelPrescription', 'CancelOrder']);
    expect(cancelled.find((event) => event.type === 'InventoryReleased')?.data).toMatchObject({
      lines: [{ sku: 'LATE-ANSWER-1', quantity: 11 }],
      undone: true,
    });

    hold.release(); // the success arrives after the saga has ended
    const events = await waitFor('the late success to be recorded and decided', async () => {
      const all = await saga.events();
      const reserved = all.findIndex((event) => event.type === 'InventoryReserved');
      return reserved >= 0 && all.slice(reserved).some((event) => event.type === 'SagaStateChanged') ? all : undefined;
    });
    expect(compensationsRan(events)).toEqual(['ReleaseInventory', 'CancelPrescription', 'CancelOrder']);
    expect(unwindingProblems(events)).toEqual([]);
    expect(typesOf(events)).not.toContain('ShipmentInitiated');
    expect(await sagaStateNow(saga.sagaId)).toBe('CANCELLED');
    expect(await available(catalog, 'LATE-ANSWER-1')).toBe(stock);
  });

  it('a shipment held past its deadline: CancelShipment first (nothing to undo), then the table, CANCELLED; made after the end, it does nothing', async () => {
    const hold = faults.hold('p-late-ship', 'InitiateShipment');
    const saga = await place('p-late-ship', 'LATE-SHIP-1', 5);
    await hold.entered; // the carrier has the request but has not acted...
    expect(await settle(saga.sagaId, ['COMPLETED', 'CANCELLED', 'MANUAL_REVIEW'], deadlineMs + 15_000)).toBe(
      'CANCELLED',
    );
    const cancelled = await saga.events();
    expect(cancelled.find((event) => event.type === 'ShipmentInitiationFailed')?.data).toMatchObject({
      code: 'STEP_TIMEOUT',
    });
    expect(compensationsRan(cancelled)).toEqual([
      'CancelShipment',
      'ReleaseInventory',
      'CancelPrescription',
      'CancelOrder',
    ]);
    expect(cancelled.find((event) => event.type === 'ShipmentCancelled')?.data).toEqual({
      sagaId: saga.sagaId,
      orderId: saga.orderId,
      shipmentId: null,
      undone: false,
    });
    expect(unwindingProblems(cancelled)).toEqual([]);
    expect(await available(catalog, 'LATE-SHIP-1')).toBe(stock);

    hold.release(); // ...and acts only after the saga gave up on the shipment: refused
    await waitFor('the late shipment to be refused', async () => (faults.settled(saga.sagaId) ? true : undefined));
    await sleep(300); // let anything it might append land before looking
    const events = await saga.events();
    expect(typesOf(events)).not.toContain('ShipmentInitiated');
    expect(events).toHaveLength(cancelled.length);
    expect(await sagaStateNow(saga.sagaId)).toBe('CANCELLED');
    expect(await shipmentStatus(saga.sagaId)).toBe('tombstone');
    expect(await available(catalog, 'LATE-SHIP-1')).toBe(stock);
  });

  it('the customer cancels while the shipment is in flight: the shipment that then succeeds is cancelled first, CANCELLED', async () => {
    const hold = faults.hold('p-cancel-ship', 'InitiateShipment');
    const saga = await place('p-cancel-ship', 'CANCEL-SHIP-1', 8);
    await hold.entered; // the shipment is in flight
    await run.cancel(saga.orderId);
    await settle(saga.sagaId, ['COMPENSATING']);
    hold.release();
    expect(await settle(saga.sagaId, ['COMPLETED', 'CANCELLED', 'MANUAL_REVIEW'])).toBe('CANCELLED');
    const events = await saga.events();
    expect(typesOf(events)).toContain('ShipmentInitiated');
    expect(typesOf(events)).not.toContain('SagaCompleted');
    expect(compensationsRan(events)).toEqual([
      'CancelShipment',
      'ReleaseInventory',
      'CancelPrescription',
      'CancelOrder',
    ]);
    expect(compensationsRan(events)).toEqual(compensationsOwed(events).reverse());
    expect(statesOf(events).slice(-2)).toEqual(['COMPENSATING', 'CANCELLED']);
    expect(await shipmentStatus(saga.sagaId)).toBe('cancelled');
    expect(await available(catalog, 'CANCEL-SHIP-1')).toBe(stock);
  });

  /** The inventory participant's own record of the saga's reservation. */
  const reservationStatus = async (sagaId: string): Promise<string | undefined> =>
    (await storage.serviceDb('inventory_reservations').where({ saga_id: sagaId }).first())?.status;

  /** The shipping participant's own record of the saga's shipment. */
  const shipmentStatus = async (sagaId: string): Promise<string | undefined> =>
    (await storage.serviceDb('shipments').where({ saga_id: sagaId }).first())?.status;

  const sagaStateNow = async (sagaId: string) =>
    statesOf(await storage.eventStore.readStream(`orderFulfillmentSaga-${sagaId}`)).at(-1);
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
