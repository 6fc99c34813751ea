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
  typesOf,
  waitForState,
  type RunningSaga,
  type Storage,
} from './support/sagaHarness';

/**
 * A worker reserves the stock, then dies before it records the reservation, and stays "dead" (its
 * try unanswered) for three times the step's deadline. The deadline is start-to-close and belongs
 * to the try: a try that died is not a participant that failed to answer, so nothing times out.
 * When the job runs again, the participant replays its reservation and the saga completes with
 * the stock taken once (SPEC §8, §9.3, §9.4).
 */
describe('a worker that dies between the side effect and recording it', () => {
  let storage: Storage;
  let running: RunningSaga | undefined;
  const deadlineMs = 600;

  beforeEach(async () => {
    storage = await openStorage('sqlite', { deadlinesMs: { ReserveInventory: deadlineMs } });
  });
  afterEach(async () => {
    await running?.stop();
    await storage.close();
  });

  it('does not count its downtime against the step: the saga completes, the stock taken once', async () => {
    const participants = builtinParticipants(storage);
    await seedCatalog(participants, { 'AMOX-500': { onHand: 10 } });
    const input = order({ medications: [{ sku: 'AMOX-500', quantity: 4 }] });
    let diedOnce = false;

    const dyingAfterReserving = (handlers: JobHandlers): JobHandlers => ({
      ...handlers,
      handle: async (job, context) => {
        if (job.kind !== 'step' || job.name !== 'ReserveInventory' || diedOnce) return handlers.handle(job, context);
        diedOnce = true;
        await participants.inventory.reserve(job.request);
        await new Promise((resolve) => setTimeout(resolve, deadlineMs * 3));
        throw new Error('worker died before recording the reservation');
      },
    });
    running = await runSagas(storage, { handlers: dyingAfterReserving });

    const { sagaId, orderId } = await commands(storage).place(input);
    await expect(waitForState(storage.eventStore, sagaId, ['COMPLETED', 'CANCELLED'])).resolves.toBe('COMPLETED');

    const events = await eventsOfSaga(storage.eventStore, sagaId, orderId);
    expect(diedOnce).toBe(true);
    expect(typesOf(events).filter((type) => type === 'InventoryReserved')).toHaveLength(1);
    expect(typesOf(events)).not.toContain('InventoryReservationFailed');
    expect(compensationsRan(events)).toEqual([]);
    await expect(available(participants, 'AMOX-500')).resolves.toBe(6);
  });
});
