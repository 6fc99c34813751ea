import type { JobHandlers } from '../src/application/ports/jobQueue';
import {
  available,
  builtinParticipants,
  commands,
  compensationsRan,
  eventsOfSaga,
  openStorage,
  order,
  runSagas,
  seedCatalog,
  testDeadlinesMs,
  testSagaDefinition,
  typesOf,
  waitFor,
  type RunningSaga,
  type Storage,
} from './support/sagaHarness';

/**
 * A worker reserves the stock, then dies before it records the reservation; the step's deadline
 * passes meanwhile, so the saga gives up on the step and unwinds. When the job is delivered again
 * the participant replays its reservation, the saga takes it as a late success and releases it:
 * no stock stays reserved for a cancelled order (SPEC §9.3), whatever the timing.
 */
describe('a worker that dies between the side effect and recording it', () => {
  let storage: Storage;
  let running: RunningSaga | undefined;

  beforeEach(async () => {
    storage = await openStorage('sqlite');
  });
  afterEach(async () => {
    await running?.stop();
    await storage.close();
  });

  it('has its unrecorded reservation released once the step has timed out', async () => {
    const participants = builtinParticipants(storage);
    await seedCatalog(participants, { 'AMOX-500': { onHand: 10 } });
    const input = order({ medications: [{ sku: 'AMOX-500', quantity: 4 }] });
    const deadlineMs = 600;
    let diedOnce = false;

    const dyingAfterReserving = (handlers: JobHandlers): JobHandlers => ({
      ...handlers,
      handle: async (job, context) => {
        if (job.kind !== 'step' || job.name !== 'ReserveInventory' || diedOnce) return handlers.handle(job, context);
        diedOnce = true;
        const { sagaId, orderId } = job;
        await participants.inventory.reserve({ ...input, prescriberId: input.prescriberId ?? null, sagaId, orderId });
        await new Promise((resolve) => setTimeout(resolve, deadlineMs * 3));
        throw new Error('worker died before recording the reservation');
      },
    });
    running = await runSagas(storage, {
      participants,
      definition: testSagaDefinition({ ...testDeadlinesMs, ReserveInventory: deadlineMs }),
      handlers: dyingAfterReserving,
    });

    const { sagaId, orderId } = await commands(storage).place(input);
    const events = await waitFor('the late reservation to be released', async () => {
      const all = await eventsOfSaga(storage.eventStore, sagaId, orderId);
      return typesOf(all).includes('InventoryReleased') ? all : undefined;
    });

    const types = typesOf(events);
    expect(types.indexOf('InventoryReservationFailed')).toBeLessThan(types.indexOf('InventoryReserved'));
    expect(compensationsRan(events)).toEqual(['CancelPrescription', 'CancelOrder', 'ReleaseInventory']);
    await expect(available(participants, 'AMOX-500')).resolves.toBe(10);
  });
});
