import { startReactorRole, startWorkerRole } from '../src/infrastructure/app/sagaRoles';
import type { Service } from '../src/infrastructure/app/buildService';
import { startExternalPrescriptions } from './support/externalPrescriptions';
import { faultyParticipants } from './support/faultyParticipants';
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
  unwindingProblems,
  waitFor,
  waitForState,
  type Backend,
  type RunningSaga,
  type Storage,
} from './support/sagaHarness';

/**
 * Unknown outcomes are compensated (issue 8, finding 3), end to end on the embedded default and on
 * MariaDB + BullMQ, with the prescriptions participant an external HTTP service (a local test
 * server: an edge we do not own) wired in by PRESCRIPTIONS_URL, as in production. A step the saga
 * gave up on gets its compensation all the same, and the saga is CANCELLED only once it is done.
 *
 * One job attempt per step (JOB_ATTEMPTS=1): the HTTP client's own three tries then make the whole
 * step, which stays under the circuit breaker's threshold (5 failures in a row), so each saga here
 * meets the participant, not an open breaker (which would only delay it: breakerAwareRetries.int.spec.ts).
 *
 * And the upgrade that brought this rule: a saga started by machine version 1 and in flight when
 * the service is upgraded runs on under the new code, by version 1's decisions.
 */
const deadlineMs = 2_000;
const stock = 40;
const finalStates = ['COMPLETED', 'CANCELLED', 'MANUAL_REVIEW'] as const;

describe.each<Backend>(['sqlite', 'mysql'])('unknown outcomes on %s', (backend) => {
  let external: Awaited<ReturnType<typeof startExternalPrescriptions>>;
  let storage: Storage;

  beforeAll(async () => {
    external = await startExternalPrescriptions();
    storage = await openStorage(backend, {
      deadlinesMs: { CreatePrescription: deadlineMs, ReserveInventory: deadlineMs, InitiateShipment: deadlineMs },
      env: { PRESCRIPTIONS_URL: external.url, PARTICIPANT_TIMEOUT_MS: '1000', JOB_ATTEMPTS: '1' },
    });
    await seedCatalog(builtinParticipants(storage), { 'EXT-1': { onHand: stock }, 'V1-1': { onHand: stock } });
  });

  afterAll(async () => {
    await storage?.close();
    await external?.close();
  });

  const place = async (patientId: string, sku: string, quantity: number) => {
    const placed = await commands(storage).place(order({ patientId, medications: [{ sku, quantity }] }));
    return { ...placed, events: () => eventsOfSaga(storage.eventStore, placed.sagaId, placed.orderId) };
  };

  describe('an external prescriptions service', () => {
    let running: RunningSaga;
    beforeAll(async () => (running = await runSagas(storage)));
    afterAll(async () => running?.stop());

    it('that creates the prescription, then answers 500: RETRIES_EXHAUSTED, CancelPrescription sent, CANCELLED with the prescription cancelled', async () => {
      external.fault('p-500', 'failsAfterActing');
      const saga = await place('p-500', 'EXT-1', 3);
      expect(await waitForState(storage.eventStore, saga.sagaId, finalStates, 30_000)).toBe('CANCELLED');
      const events = await saga.events();
      expect(events.find((event) => event.type === 'PrescriptionFailed')?.data).toMatchObject({
        code: 'RETRIES_EXHAUSTED',
      });
      expect(compensationsRan(events)).toEqual(['CancelPrescription', 'CancelOrder']);
      const prescription = external.prescriptions.get(saga.sagaId);
      expect(prescription?.status).toBe('cancelled');
      expect(events.find((event) => event.type === 'PrescriptionCancelled')?.data).toMatchObject({
        prescriptionId: prescription?.prescriptionId,
        undone: true,
      });
      expect(unwindingProblems(events)).toEqual([]);
      expect(await available(builtinParticipants(storage), 'EXT-1')).toBe(stock);
    });

    it('that never acted (503): the cancel finds nothing to undo and leaves a tombstone; a create afterwards is refused', async () => {
      external.fault('p-503', 'unreachable');
      const saga = await place('p-503', 'EXT-1', 2);
      expect(await waitForState(storage.eventStore, saga.sagaId, finalStates, 30_000)).toBe('CANCELLED');
      const events = await saga.events();
      expect(compensationsRan(events)).toEqual(['CancelPrescription', 'CancelOrder']);
      expect(events.find((event) => event.type === 'PrescriptionCancelled')?.data).toMatchObject({
        prescriptionId: null,
        undone: false,
      });
      expect(unwindingProblems(events)).toEqual([]);
      expect(external.prescriptions.has(saga.sagaId)).toBe(false);
      expect(external.tombstones.has(saga.sagaId)).toBe(true);

      external.heal('p-503'); // the request arrives after all, late: nothing is created
      const late = await builtinParticipants(storage).prescriptions.createPrescription({
        ...order({ patientId: 'p-503', medications: [{ sku: 'EXT-1', quantity: 2 }] }),
        sagaId: saga.sagaId,
        orderId: saga.orderId,
        prescriberId: 'dr-who',
      });
      expect(late).toEqual({ outcome: 'alreadyCompensated' });
      expect(external.prescriptions.has(saga.sagaId)).toBe(false);
    });
  });

  it('a version 1 saga in flight at the upgrade runs on under the new code, by version 1’s decisions', async () => {
    // The build before the upgrade: the same steps, new sagas started as version 1.
    const before: Service = {
      ...storage.service,
      sagaDefinition: { ...storage.service.sagaDefinition, machineVersion: 1 },
    };
    const faults = faultyParticipants(builtinParticipants(storage));
    const worker = await startWorkerRole(storage.service, { participants: faults.participants, concurrency: 4 });
    const oldReactor = startReactorRole(before, { idleWaitMs: 100 }).subscription;
    try {
      const hold = faults.hold('p-v1', 'ReserveInventory', 'beforeActing');
      const saga = await place('p-v1', 'V1-1', 5);
      await hold.entered; // the reservation is in flight...
      const started = (await saga.events()).find((event) => event.type === 'SagaStarted');
      expect(started?.data).toMatchObject({ machineVersion: 1 });
      await oldReactor.stop(); // ...when the service is upgraded
      const newReactor = startReactorRole(storage.service, { idleWaitMs: 100 }).subscription;
      try {
        // Version 1: the reservation given up is not compensated while unwinding...
        expect(await waitForState(storage.eventStore, saga.sagaId, finalStates, deadlineMs + 15_000)).toBe('CANCELLED');
        expect(compensationsRan(await saga.events())).toEqual(['CancelPrescription', 'CancelOrder']);
        // ...only its success, when it comes after all, is: the saga was never stopped.
        hold.release();
        // Released, and the saga has reacted to it: the release is off its stack.
        const events = await waitFor('the late reservation to be released', async () => {
          const all = await saga.events();
          const last = all.findLast((event) => event.type === 'SagaStateChanged');
          const settled =
            (last?.data as { compensationStack?: unknown[] } | undefined)?.compensationStack?.length === 0;
          return compensationsRan(all).includes('ReleaseInventory') && settled ? all : undefined;
        });
        expect(compensationsRan(events)).toEqual(['CancelPrescription', 'CancelOrder', 'ReleaseInventory']);
        expect(await storage.service.stoppedSagas.count()).toBe(0);
        expect(await available(builtinParticipants(storage), 'V1-1')).toBe(stock);
        const last = events.findLast((event) => event.type === 'SagaStateChanged');
        expect(last?.data).toMatchObject({ to: 'CANCELLED', compensationStack: [] });
      } finally {
        await newReactor.stop();
      }
    } finally {
      await oldReactor.stop();
      await worker.close();
    }
  });
});
