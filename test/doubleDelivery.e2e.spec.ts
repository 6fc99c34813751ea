import type { JobHandlers } from '../src/application/ports/jobQueue';
import { sagaReactorSubscriber } from '../src/application/saga/sagaReactorSubscription';
import { checkpointedConsumer } from '../src/application/subscriptions';
import type { Participants } from '../src/infrastructure/participants/createParticipants';
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
  waitForState,
  type Backend,
  type RunningSaga,
  type Storage,
} from './support/sagaHarness';

/**
 * SPEC §9.4: whatever is redelivered, no side effect happens twice. Every batch of events is
 * handled three times (twice by the running reactor, once by a fresh one with an empty cache, as
 * after a crash before the checkpoint), and every job is run three times (twice at once, then
 * again; a retry sequentially). Then stock, events and the participants' records must be as after a single delivery.
 */
const twiceOver = (handlers: JobHandlers): JobHandlers => ({
  handle: async (job, context) => {
    // Two copies at once on the first try; a retry (after a transient error one copy hit while
    // racing the other, e.g. a busy SQLite) delivers its copies one after the other.
    if (context.attempt === 1) await Promise.all([handlers.handle(job, context), handlers.handle(job, context)]);
    else await handlers.handle(job, context);
    await handlers.handle(job, context);
  },
  onFailed: async (job, error) => {
    await handlers.onFailed(job, error);
    await handlers.onFailed(job, error);
  },
});

const scenarios = [
  { patient: 'dd-happy', sku: 'DD-A', quantity: 3, country: 'US', prescriber: 'dr-1', final: 'COMPLETED' },
  { patient: 'dd-rx', sku: 'DD-CTRL', quantity: 1, country: 'US', prescriber: undefined, final: 'CANCELLED' },
  { patient: 'dd-stock', sku: 'DD-SCARCE', quantity: 9, country: 'US', prescriber: 'dr-1', final: 'CANCELLED' },
  { patient: 'dd-ship', sku: 'DD-B', quantity: 4, country: 'JP', prescriber: 'dr-1', final: 'CANCELLED' },
] as const;

describe.each<Backend>(['sqlite', 'mysql'])('double delivery on %s', (backend) => {
  let storage: Storage;
  let running: RunningSaga;
  let participants: Participants;

  beforeAll(async () => {
    storage = await openStorage(backend);
    participants = builtinParticipants(storage);
    await seedCatalog(participants, {
      'DD-A': { onHand: 100 },
      'DD-B': { onHand: 100 },
      'DD-CTRL': { onHand: 100, controlled: true },
      'DD-SCARCE': { onHand: 5 },
    });
    running = await runSagas(storage, {
      participants,
      handlers: twiceOver,
      consumer: (newReactor, checkpoints) => {
        const reactor = newReactor();
        return checkpointedConsumer(sagaReactorSubscriber, checkpoints, async (events) => {
          await reactor.handleBatch(events);
          await reactor.handleBatch(events);
          await newReactor().handleBatch(events);
        });
      },
    });
  });

  afterAll(async () => {
    await running?.stop();
    await storage?.close();
  });

  it('does nothing twice: one outcome per step, compensations once each, stock and records as after one delivery', async () => {
    const run = commands(storage);
    const copies = 3;
    const placed = await Promise.all(
      scenarios.flatMap((scenario) =>
        Array.from({ length: copies }, async () => ({
          scenario,
          ...(await run.place(
            order({
              patientId: scenario.patient,
              prescriberId: scenario.prescriber,
              medications: [{ sku: scenario.sku, quantity: scenario.quantity }],
              shippingAddress: {
                line1: '1 Main St',
                city: 'Springfield',
                postalCode: '12345',
                country: scenario.country,
              },
            }),
          )),
        })),
      ),
    );

    for (const saga of placed) {
      const state = await waitForState(storage.eventStore, saga.sagaId, ['COMPLETED', 'CANCELLED', 'MANUAL_REVIEW']);
      expect({ patient: saga.scenario.patient, state }).toEqual({
        patient: saga.scenario.patient,
        state: saga.scenario.final,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 300)); // let any duplicate land before counting

    for (const saga of placed) {
      const events = await eventsOfSaga(storage.eventStore, saga.sagaId, saga.orderId);
      const ids = events.map((event) => event.metadata.eventId);
      expect(new Set(ids).size).toBe(ids.length);
      const counts = new Map<string, number>();
      for (const type of typesOf(events)) counts.set(type, (counts.get(type) ?? 0) + 1);
      for (const [type, count] of counts) {
        if (type !== 'SagaStateChanged' && type !== 'SagaCompensationRecorded')
          expect({
            type,
            count,
            failures: count > 1 ? events.filter((e) => e.type === type).map((e) => e.data) : [],
          }).toEqual({
            type,
            count: 1,
            failures: [],
          });
      }
      expect(compensationsRan(events)).toEqual(
        saga.scenario.final === 'COMPLETED' ? [] : compensationsOwed(events).reverse(),
      );
      const recorded = events.flatMap((event) =>
        event.type === 'SagaCompensationRecorded' ? [event.data.compensation] : [],
      );
      expect(new Set(recorded).size).toBe(recorded.length);
    }

    const completedQuantity = (sku: string) =>
      placed.filter((saga) => saga.scenario.sku === sku && saga.scenario.final === 'COMPLETED').length *
      scenarios.find((scenario) => scenario.sku === sku)!.quantity;
    expect(await available(participants, 'DD-A')).toBe(100 - completedQuantity('DD-A'));
    expect(await available(participants, 'DD-B')).toBe(100);
    expect(await available(participants, 'DD-CTRL')).toBe(100);
    expect(await available(participants, 'DD-SCARCE')).toBe(5);

    const sagaIds = placed.map((saga) => saga.sagaId);
    const prescriptions = await storage
      .serviceDb('prescriptions')
      .whereIn('saga_id', sagaIds)
      .select('saga_id', 'prescription_id');
    expect(prescriptions).toHaveLength(sagaIds.length);
    const created = prescriptions.filter((row: { prescription_id: string | null }) => row.prescription_id !== null);
    expect(new Set(created.map((row: { prescription_id: string }) => row.prescription_id)).size).toBe(created.length);
    const shipments = await storage.serviceDb('shipments').whereIn('saga_id', sagaIds).whereNotNull('shipment_id');
    expect(shipments).toHaveLength(copies); // the happy sagas only
  });
});
