import { fulfillmentSaga } from './fulfillmentSaga';
import type { SagaInput } from './sagaInput';
import type { SagaIntent } from './sagaIntents';
import { forwardStepNames, type CompensationName } from './sagaVocabulary';
import { keyOf, replay, sagaSpecification } from './testing/sagaSpecification';
import { inputs } from './testing/sagaInputs';
import { optionalStepSaga } from './testing/optionalStepSaga';
import { simulate } from './testing/sagaSimulation';

const retry = { attempts: 3, backoffMs: 200 };
const definition = fulfillmentSaga({
  stepDeadlinesMs: { CreatePrescription: 30_000, ReserveInventory: 20_000, InitiateShipment: 60_000 },
  retry,
});
const { given } = sagaSpecification(definition);
const v1 = sagaSpecification(definition, 1);
const runCompensation = (compensation: CompensationName, round = 0): SagaIntent => ({
  type: 'runCompensation',
  compensation,
  round,
  retry,
});

describe('the fulfillment saga, SPEC §2', () => {
  describe('forward path', () => {
    it('starts in PENDING_PRESCRIPTION with CancelOrder pushed, running the first step under its deadline', () => {
      const [start] = replay(definition, []);
      expect(start).toMatchObject({
        state: 'PENDING_PRESCRIPTION',
        currentStep: 'CreatePrescription',
        compensationStack: ['CancelOrder'],
      });
      expect(start!.intents).toEqual([{ type: 'runStep', step: 'CreatePrescription', deadlineMs: 30_000, retry }]);
      expect(start!.events.map((event) => event.type)).toEqual([
        'SagaStarted',
        'SagaCompensationRecorded',
        'SagaStateChanged',
      ]);
    });

    it('each success pushes its compensation and starts the next step', () => {
      given(inputs.prescriptionCreated())
        .when(inputs.inventoryReserved())
        .then({
          state: 'PENDING_SHIPMENT',
          currentStep: 'InitiateShipment',
          compensationStack: ['CancelOrder', 'CancelPrescription', 'ReleaseInventory'],
          intents: [{ type: 'runStep', step: 'InitiateShipment', deadlineMs: 60_000, retry }],
          eventTypes: ['SagaCompensationRecorded', 'SagaStateChanged'],
        });
    });

    it('the shipment completes the saga; CancelShipment is pushed like every compensation and never runs', () => {
      const simulation = simulate(definition, {});
      expect(simulation.final).toMatchObject({ state: 'COMPLETED', currentStep: null });
      expect(simulation.stepsRun).toEqual(['CreatePrescription', 'ReserveInventory', 'InitiateShipment']);
      expect(simulation.compensationsRun).toEqual([]);
      given(inputs.prescriptionCreated(), inputs.inventoryReserved())
        .when(inputs.shipmentInitiated())
        .then({
          state: 'COMPLETED',
          compensationStack: ['CancelOrder', 'CancelPrescription', 'ReleaseInventory', 'CancelShipment'],
          intents: [],
          eventTypes: ['SagaCompensationRecorded', 'SagaStateChanged', 'SagaCompleted'],
        });
    });
  });

  describe('failure table', () => {
    it.each([
      ['prescription fails', { CreatePrescription: 'is rejected' }, ['CancelOrder']],
      ['inventory reservation fails', { ReserveInventory: 'is rejected' }, ['CancelPrescription', 'CancelOrder']],
      [
        'shipment initiation fails',
        { InitiateShipment: 'is rejected' },
        ['ReleaseInventory', 'CancelPrescription', 'CancelOrder'],
      ],
    ] as const)('%s: %j unwinds %j and ends CANCELLED', (_row, steps, compensations) => {
      const simulation = simulate(definition, { steps });
      expect(simulation.compensationsRun).toEqual(compensations);
      expect(simulation.final).toMatchObject({ state: 'CANCELLED', compensationStack: [], currentStep: null });
    });

    it('a step failure records SagaFailed with the failure code and starts unwinding at the top of the stack', () => {
      const decision = given(inputs.prescriptionCreated())
        .when(inputs.inventoryReservationFailed())
        .then({
          state: 'COMPENSATING',
          currentStep: 'CancelPrescription',
          intents: [runCompensation('CancelPrescription')],
          eventTypes: ['SagaFailed', 'SagaStateChanged'],
        });
      expect(decision.events[0]).toMatchObject({
        type: 'SagaFailed',
        data: { failedStep: 'ReserveInventory', code: 'INSUFFICIENT_STOCK' },
      });
    });

    it('a compensation failing after its retries stops unwinding: MANUAL_REVIEW, the failed one on top', () => {
      const simulation = simulate(definition, {
        steps: { InitiateShipment: 'is rejected' },
        failingCompensations: ['CancelPrescription'],
      });
      expect(simulation.compensationsRun).toEqual(['ReleaseInventory', 'CancelPrescription']);
      expect(simulation.final).toMatchObject({
        state: 'MANUAL_REVIEW',
        currentStep: 'CancelPrescription',
        compensationStack: ['CancelOrder', 'CancelPrescription'],
        intents: [],
      });
    });
  });

  describe('manual review', () => {
    const reviewed = [
      inputs.prescriptionCreated(),
      inputs.inventoryReservationFailed(),
      inputs.compensationFailed('CancelPrescription', 0),
    ];

    it('retry re-runs the failed compensation with round + 1, then unwinding continues to CANCELLED', () => {
      given(...reviewed)
        .when(inputs.retryRequested('CancelPrescription', 0))
        .then({ state: 'COMPENSATING', intents: [runCompensation('CancelPrescription', 1)] });
      given(...reviewed, inputs.retryRequested('CancelPrescription', 0))
        .when(inputs.prescriptionCancelled())
        .then({ state: 'COMPENSATING', intents: [runCompensation('CancelOrder')] });
      given(...reviewed, inputs.retryRequested('CancelPrescription', 0), inputs.prescriptionCancelled())
        .when(inputs.orderCancelled())
        .then({ state: 'CANCELLED', compensationStack: [], intents: [] });
    });

    it('a retry that fails again goes back to MANUAL_REVIEW; a stale retry or failure of the old round changes nothing', () => {
      const again = [
        ...reviewed,
        inputs.retryRequested('CancelPrescription', 0),
        inputs.compensationFailed('CancelPrescription', 1),
      ];
      given(...again.slice(0, -1))
        .when(inputs.compensationFailed('CancelPrescription', 0))
        .then({ state: 'COMPENSATING', intents: [], eventTypes: [] });
      given(...again)
        .when(inputs.retryRequested('CancelPrescription', 0))
        .then({ state: 'MANUAL_REVIEW', intents: [], eventTypes: [] });
      given(...again)
        .when(inputs.retryRequested('CancelPrescription', 1))
        .then({ state: 'COMPENSATING', intents: [runCompensation('CancelPrescription', 2)] });
    });

    it('resolve ends CANCELLED with the note and what the operator took over recorded', () => {
      const decision = given(...reviewed)
        .when(inputs.resolvedManually('refunded by phone'))
        .then({ state: 'CANCELLED', compensationStack: [], intents: [] });
      expect(decision.context.resolution).toMatchObject({
        note: 'refunded by phone',
        resolvedBy: 'operator-1',
        compensationsLeft: ['CancelOrder', 'CancelPrescription'],
      });
    });

    it('retry and resolve outside MANUAL_REVIEW change nothing', () => {
      given()
        .when(inputs.retryRequested('CancelOrder', 0))
        .then({ state: 'PENDING_PRESCRIPTION', eventTypes: [], intents: [] });
      given().when(inputs.resolvedManually()).then({ state: 'PENDING_PRESCRIPTION', eventTypes: [], intents: [] });
    });
  });

  describe('customer cancel', () => {
    it('before COMPLETED: COMPENSATING at once, waiting for the step in flight', () => {
      given(inputs.prescriptionCreated())
        .when(inputs.cancellationRequested())
        .then({
          state: 'COMPENSATING',
          currentStep: 'ReserveInventory',
          intents: [],
          eventTypes: ['SagaStateChanged'],
        });
    });

    it('the in-flight step that then succeeds is compensated first (strict LIFO)', () => {
      const cancelled = [inputs.prescriptionCreated(), inputs.cancellationRequested()];
      given(...cancelled)
        .when(inputs.inventoryReserved())
        .then({
          state: 'COMPENSATING',
          compensationStack: ['CancelOrder', 'CancelPrescription', 'ReleaseInventory'],
          intents: [runCompensation('ReleaseInventory')],
          eventTypes: ['SagaCompensationRecorded', 'SagaStateChanged'],
        });
      const end = replay(definition, [
        ...cancelled,
        inputs.inventoryReserved(),
        inputs.inventoryReleased(),
        inputs.prescriptionCancelled(),
        inputs.orderCancelled(),
      ]).at(-1)!;
      expect(end).toMatchObject({ state: 'CANCELLED', compensationStack: [] });
    });

    it('the in-flight step that is rejected just lets unwinding start', () => {
      given(inputs.prescriptionCreated(), inputs.cancellationRequested())
        .when(inputs.inventoryReservationFailed())
        .then({ state: 'COMPENSATING', intents: [runCompensation('CancelPrescription')] });
    });

    it('the in-flight step that times out is compensated first: its outcome is unknown', () => {
      given(inputs.prescriptionCreated(), inputs.cancellationRequested())
        .when(inputs.inventoryReservationFailed('STEP_TIMEOUT'))
        .then({
          state: 'COMPENSATING',
          compensationStack: ['CancelOrder', 'CancelPrescription', 'ReleaseInventory'],
          intents: [runCompensation('ReleaseInventory')],
        });
    });

    it('the shipment in flight that then succeeds is cancelled first: CancelShipment → ReleaseInventory → CancelPrescription → CancelOrder', () => {
      const cancelled = [inputs.prescriptionCreated(), inputs.inventoryReserved(), inputs.cancellationRequested()];
      given(...cancelled)
        .when(inputs.shipmentInitiated())
        .then({
          state: 'COMPENSATING',
          currentStep: 'CancelShipment',
          compensationStack: ['CancelOrder', 'CancelPrescription', 'ReleaseInventory', 'CancelShipment'],
          intents: [runCompensation('CancelShipment')],
          eventTypes: ['SagaCompensationRecorded', 'SagaStateChanged'],
        });
      given(...cancelled, inputs.shipmentInitiated())
        .when(inputs.shipmentCancelled())
        .then({
          state: 'COMPENSATING',
          compensationStack: ['CancelOrder', 'CancelPrescription', 'ReleaseInventory'],
          intents: [runCompensation('ReleaseInventory')],
        });
      const end = replay(definition, [
        ...cancelled,
        inputs.shipmentInitiated(),
        inputs.shipmentCancelled(),
        inputs.inventoryReleased(),
        inputs.prescriptionCancelled(),
        inputs.orderCancelled(),
      ]).at(-1)!;
      expect(end).toMatchObject({ state: 'CANCELLED', compensationStack: [], currentStep: null });
    });

    it('after COMPLETED or CANCELLED, or a second time, a cancel request changes nothing', () => {
      const completed = [inputs.prescriptionCreated(), inputs.inventoryReserved(), inputs.shipmentInitiated()];
      given(...completed)
        .when(inputs.cancellationRequested())
        .then({ state: 'COMPLETED', eventTypes: [], intents: [] });
      const cancelled = [inputs.prescriptionFailed(), inputs.orderCancelled()];
      given(...cancelled)
        .when(inputs.cancellationRequested())
        .then({ state: 'CANCELLED', eventTypes: [], intents: [] });
      given(inputs.cancellationRequested()).when(inputs.cancellationRequested()).then({ eventTypes: [], intents: [] });
    });
  });

  describe('unknown outcomes are compensated: a step given up (timeout, retries spent) is undone first', () => {
    /** SPEC §2's table: what a known failure of each step unwinds. */
    const table = {
      CreatePrescription: ['CancelOrder'],
      ReserveInventory: ['CancelPrescription', 'CancelOrder'],
      InitiateShipment: ['ReleaseInventory', 'CancelPrescription', 'CancelOrder'],
    } as const;
    const own = {
      CreatePrescription: 'CancelPrescription',
      ReserveInventory: 'ReleaseInventory',
      InitiateShipment: 'CancelShipment',
    } as const;
    const givenUp = forwardStepNames.flatMap((step) =>
      (['times out', 'runs out of retries'] as const).map((how) => [step, how] as const),
    );

    it.each(givenUp)('%s %s: its own compensation runs, then the table, and only then CANCELLED', (step, how) => {
      const simulation = simulate(definition, { steps: { [step]: how } });
      expect(simulation.compensationsRun).toEqual([own[step], ...table[step]]);
      expect(simulation.final).toMatchObject({ state: 'CANCELLED', compensationStack: [], currentStep: null });
      expect(simulation.final.context.stepOutcomes[step]).toBe('unknown');
    });

    it.each(forwardStepNames)(
      '%s succeeding right after its timeout, before its compensation ran: undone by that compensation, never applied',
      (step) => {
        const simulation = simulate(definition, { steps: { [step]: 'succeeds right after timing out' } });
        expect(simulation.compensationsRun).toEqual([own[step], ...table[step]]);
        expect(simulation.stepsRun).toEqual(forwardStepNames.slice(0, forwardStepNames.indexOf(step) + 1));
        expect(simulation.final).toMatchObject({ state: 'CANCELLED', compensationStack: [], currentStep: null });
        expect(simulation.final.context.stepOutcomes[step]).toBe('succeededAfterGivenUp');
      },
    );

    it.each(forwardStepNames)(
      '%s succeeding after the saga reached CANCELLED (it landed before its compensation, which undid it): recorded, nothing more runs',
      (step) => {
        const simulation = simulate(definition, { steps: { [step]: 'succeeds after timing out' } });
        expect(simulation.compensationsRun).toEqual([own[step], ...table[step]]);
        expect(simulation.final).toMatchObject({
          state: 'CANCELLED',
          compensationStack: [],
          currentStep: null,
          intents: [],
        });
        expect(simulation.final.events.map((event) => event.type)).toEqual(['SagaStateChanged']);
        expect(simulation.final.context.stepOutcomes[step]).toBe('succeededAfterGivenUp');
      },
    );

    it('a timeout records SagaFailed with its code, pushes the step’s compensation and runs it first', () => {
      const decision = given(inputs.prescriptionCreated())
        .when(inputs.inventoryReservationFailed('STEP_TIMEOUT'))
        .then({
          state: 'COMPENSATING',
          currentStep: 'ReleaseInventory',
          compensationStack: ['CancelOrder', 'CancelPrescription', 'ReleaseInventory'],
          intents: [runCompensation('ReleaseInventory')],
          eventTypes: ['SagaCompensationRecorded', 'SagaFailed', 'SagaStateChanged'],
        });
      expect(decision.events[1]).toMatchObject({
        type: 'SagaFailed',
        data: { failedStep: 'ReserveInventory', code: 'STEP_TIMEOUT' },
      });
      expect(decision.context.stepOutcomes.ReserveInventory).toBe('unknown');
    });

    it('a business rejection is a known negative: nothing of its own to undo', () => {
      given(inputs.prescriptionCreated())
        .when(inputs.inventoryReservationFailed('INSUFFICIENT_STOCK'))
        .then({
          compensationStack: ['CancelOrder', 'CancelPrescription'],
          intents: [runCompensation('CancelPrescription')],
        });
    });

    it('a success while its compensation runs pushes nothing: the running compensation undoes it', () => {
      const givenUpStep = [inputs.prescriptionCreated(), inputs.inventoryReservationFailed('RETRIES_EXHAUSTED')];
      given(...givenUpStep)
        .when(inputs.inventoryReserved())
        .then({
          state: 'COMPENSATING',
          currentStep: 'ReleaseInventory',
          compensationStack: ['CancelOrder', 'CancelPrescription', 'ReleaseInventory'],
          intents: [],
          eventTypes: ['SagaStateChanged'],
        });
      given(...givenUpStep, inputs.inventoryReserved())
        .when(inputs.inventoryReleased())
        .then({
          compensationStack: ['CancelOrder', 'CancelPrescription'],
          intents: [runCompensation('CancelPrescription')],
        });
    });

    it('a success after its compensation ran pushes nothing either, and a repeat of it changes nothing', () => {
      const unwinding = [
        inputs.prescriptionCreated(),
        inputs.inventoryReservationFailed('STEP_TIMEOUT'),
        inputs.inventoryReleased(),
      ];
      given(...unwinding)
        .when(inputs.inventoryReserved())
        .then({
          state: 'COMPENSATING',
          currentStep: 'CancelPrescription',
          intents: [],
          eventTypes: ['SagaStateChanged'],
        });
      given(...unwinding, inputs.inventoryReserved())
        .when(inputs.inventoryReserved())
        .then({ eventTypes: [], intents: [] });
    });

    it('its compensation failing sends the saga to MANUAL_REVIEW, not CANCELLED; a retry undoes it, then the rest', () => {
      const simulation = simulate(definition, {
        steps: { ReserveInventory: 'times out' },
        failingCompensations: ['ReleaseInventory'],
      });
      expect(simulation.final).toMatchObject({
        state: 'MANUAL_REVIEW',
        currentStep: 'ReleaseInventory',
        compensationStack: ['CancelOrder', 'CancelPrescription', 'ReleaseInventory'],
      });
      const reviewed = [
        inputs.prescriptionCreated(),
        inputs.inventoryReservationFailed('STEP_TIMEOUT'),
        inputs.compensationFailed('ReleaseInventory', 0),
      ];
      given(...reviewed)
        .when(inputs.retryRequested('ReleaseInventory', 0))
        .then({ state: 'COMPENSATING', intents: [runCompensation('ReleaseInventory', 1)] });
    });

    it('an optional step keeps its rule: its unknown outcome is recorded and the saga goes on without undoing it', () => {
      sagaSpecification(optionalStepSaga)
        .given()
        .when(inputs.prescriptionFailed('STEP_TIMEOUT'))
        .then({ state: 'PENDING_INVENTORY_RESERVATION', compensationStack: ['CancelOrder'] });
    });
  });

  describe("a version 1 saga still in flight keeps version 1's decisions: a given-up step is not compensated unless its success comes", () => {
    const given = v1.given;
    const replayV1 = (history: readonly SagaInput[]) => replay(definition, history, 1);

    it.each([
      ['prescription times out', { CreatePrescription: 'times out' }, ['CancelOrder']],
      [
        'inventory reservation runs out of retries',
        { ReserveInventory: 'runs out of retries' },
        ['CancelPrescription', 'CancelOrder'],
      ],
      [
        'shipment initiation times out',
        { InitiateShipment: 'times out' },
        ['ReleaseInventory', 'CancelPrescription', 'CancelOrder'],
      ],
    ] as const)('%s: %j unwinds %j only, as the table says', (_row, steps, compensations) => {
      const simulation = simulate(definition, { steps, machineVersion: 1 });
      expect(simulation.compensationsRun).toEqual(compensations);
      expect(simulation.final).toMatchObject({ state: 'CANCELLED', compensationStack: [], currentStep: null });
      expect(simulation.final.context.machineVersion).toBe(1);
    });

    it.each([
      ['a prescription', { CreatePrescription: 'succeeds after timing out' }, ['CancelOrder', 'CancelPrescription']],
      [
        'an inventory reservation',
        { ReserveInventory: 'succeeds after timing out' },
        ['CancelPrescription', 'CancelOrder', 'ReleaseInventory'],
      ],
      [
        'a shipment',
        { InitiateShipment: 'succeeds after timing out' },
        ['ReleaseInventory', 'CancelPrescription', 'CancelOrder', 'CancelShipment'],
      ],
    ] as const)(
      '%s that times out unwinds as the table says, and its success arriving after CANCELLED is compensated: %j runs %j',
      (_step, steps, compensations) => {
        const simulation = simulate(definition, { steps, machineVersion: 1 });
        expect(simulation.compensationsRun).toEqual(compensations);
        expect(simulation.final).toMatchObject({ state: 'CANCELLED', compensationStack: [], currentStep: null });
        expect(Object.values(simulation.final.context.stepOutcomes)).toContain('succeededAfterGivenUp');
      },
    );

    it('a success after its step timed out, while unwinding, is compensated after the running compensation', () => {
      const timedOut = [inputs.prescriptionCreated(), inputs.inventoryReservationFailed('STEP_TIMEOUT')];
      given(...timedOut)
        .when(inputs.inventoryReserved())
        .then({
          state: 'COMPENSATING',
          currentStep: 'CancelPrescription',
          compensationStack: ['CancelOrder', 'CancelPrescription', 'ReleaseInventory'],
          intents: [],
          eventTypes: ['SagaCompensationRecorded', 'SagaStateChanged'],
        });
      given(...timedOut, inputs.inventoryReserved())
        .when(inputs.prescriptionCancelled())
        .then({
          compensationStack: ['CancelOrder', 'ReleaseInventory'],
          intents: [runCompensation('ReleaseInventory')],
        });
      const end = replayV1([
        ...timedOut,
        inputs.inventoryReserved(),
        inputs.prescriptionCancelled(),
        inputs.inventoryReleased(),
        inputs.orderCancelled(),
      ]).at(-1)!;
      expect(end).toMatchObject({ state: 'CANCELLED', compensationStack: [] });
    });

    it('a success after the saga reached CANCELLED is compensated; the saga stays CANCELLED', () => {
      const cancelled = [inputs.prescriptionFailed('STEP_TIMEOUT'), inputs.orderCancelled()];
      given(...cancelled)
        .when(inputs.prescriptionCreated())
        .then({
          state: 'CANCELLED',
          currentStep: 'CancelPrescription',
          compensationStack: ['CancelPrescription'],
          intents: [runCompensation('CancelPrescription')],
          eventTypes: ['SagaCompensationRecorded', 'SagaStateChanged'],
        });
      given(...cancelled, inputs.prescriptionCreated())
        .when(inputs.prescriptionCancelled())
        .then({ state: 'CANCELLED', compensationStack: [], currentStep: null, intents: [] });
    });

    it('a success after a cancel request and a timeout is compensated too', () => {
      const history = [
        inputs.prescriptionCreated(),
        inputs.cancellationRequested(),
        inputs.inventoryReservationFailed('STEP_TIMEOUT'),
      ];
      const unwound = [...history, inputs.prescriptionCancelled(), inputs.orderCancelled()];
      given(...unwound)
        .when(inputs.inventoryReserved())
        .then({ state: 'CANCELLED', intents: [runCompensation('ReleaseInventory')] });
    });

    it('a late compensation that fails in CANCELLED goes to MANUAL_REVIEW; a retry brings it back to CANCELLED', () => {
      const history = [
        inputs.prescriptionFailed('STEP_TIMEOUT'),
        inputs.orderCancelled(),
        inputs.prescriptionCreated(),
      ];
      given(...history)
        .when(inputs.compensationFailed('CancelPrescription', 0))
        .then({ state: 'MANUAL_REVIEW' });
      const reviewed = [
        ...history,
        inputs.compensationFailed('CancelPrescription', 0),
        inputs.retryRequested('CancelPrescription', 0),
      ];
      given(...reviewed)
        .when(inputs.prescriptionCancelled())
        .then({ state: 'CANCELLED', compensationStack: [] });
    });

    it('a shipment that succeeds after its timeout, while unwinding, is cancelled next, above the rest of the stack', () => {
      const timedOut = [
        inputs.prescriptionCreated(),
        inputs.inventoryReserved(),
        inputs.shipmentInitiationFailed('STEP_TIMEOUT'),
      ];
      const decision = given(...timedOut)
        .when(inputs.shipmentInitiated())
        .then({
          state: 'COMPENSATING',
          currentStep: 'ReleaseInventory',
          compensationStack: ['CancelOrder', 'CancelPrescription', 'ReleaseInventory', 'CancelShipment'],
          intents: [], // ReleaseInventory is running: one compensation at a time
          eventTypes: ['SagaCompensationRecorded', 'SagaStateChanged'],
        });
      expect(decision.context.stepOutcomes.InitiateShipment).toBe('succeededAfterGivenUp');
      given(...timedOut, inputs.shipmentInitiated())
        .when(inputs.inventoryReleased())
        .then({
          compensationStack: ['CancelOrder', 'CancelPrescription', 'CancelShipment'],
          intents: [runCompensation('CancelShipment')],
        });
      const end = replayV1([
        ...timedOut,
        inputs.shipmentInitiated(),
        inputs.inventoryReleased(),
        inputs.shipmentCancelled(),
        inputs.prescriptionCancelled(),
        inputs.orderCancelled(),
      ]).at(-1)!;
      expect(end).toMatchObject({ state: 'CANCELLED', compensationStack: [] });
    });

    it('a shipment that succeeds after the saga reached CANCELLED is cancelled; the saga stays CANCELLED', () => {
      const cancelled = [
        inputs.prescriptionCreated(),
        inputs.inventoryReserved(),
        inputs.shipmentInitiationFailed('STEP_TIMEOUT'),
        inputs.inventoryReleased(),
        inputs.prescriptionCancelled(),
        inputs.orderCancelled(),
      ];
      given(...cancelled)
        .when(inputs.shipmentInitiated())
        .then({
          state: 'CANCELLED',
          currentStep: 'CancelShipment',
          compensationStack: ['CancelShipment'],
          intents: [runCompensation('CancelShipment')],
          eventTypes: ['SagaCompensationRecorded', 'SagaStateChanged'],
        });
      given(...cancelled, inputs.shipmentInitiated())
        .when(inputs.shipmentCancelled())
        .then({ state: 'CANCELLED', compensationStack: [], currentStep: null, intents: [] });
      given(...cancelled, inputs.shipmentInitiated())
        .when(inputs.compensationFailed('CancelShipment', 0))
        .then({ state: 'MANUAL_REVIEW', currentStep: 'CancelShipment', compensationStack: ['CancelShipment'] });
      given(
        ...cancelled,
        inputs.shipmentInitiated(),
        inputs.compensationFailed('CancelShipment', 0),
        inputs.retryRequested('CancelShipment', 0),
      )
        .when(inputs.shipmentCancelled())
        .then({ state: 'CANCELLED', compensationStack: [], intents: [] });
    });
  });

  describe('duplicates and stale outcomes change nothing', () => {
    const lateShipmentCancelled = [
      inputs.prescriptionCreated(),
      inputs.inventoryReserved(),
      inputs.shipmentInitiationFailed('STEP_TIMEOUT'),
      inputs.shipmentCancelled(),
      inputs.inventoryReleased(),
      inputs.prescriptionCancelled(),
      inputs.orderCancelled(),
      inputs.shipmentInitiated(),
    ];
    it.each([
      ['a repeated success', [inputs.prescriptionCreated()], inputs.prescriptionCreated()],
      [
        'a failure after the success (deadline raced the outcome)',
        [inputs.prescriptionCreated()],
        inputs.prescriptionFailed('STEP_TIMEOUT'),
      ],
      ['a second failure of the same step', [inputs.prescriptionFailed('STEP_TIMEOUT')], inputs.prescriptionFailed()],
      ['an outcome of a step not started', [], inputs.inventoryReserved()],
      ['a compensation outcome nothing waits for', [], inputs.orderCancelled()],
      [
        'a repeated compensation outcome',
        [inputs.prescriptionFailed(), inputs.orderCancelled()],
        inputs.orderCancelled(),
      ],
      [
        'a shipment cancellation nothing waits for (the shipment completed the saga)',
        [inputs.prescriptionCreated(), inputs.inventoryReserved(), inputs.shipmentInitiated()],
        inputs.shipmentCancelled(),
      ],
      ['a repeated shipment cancellation', lateShipmentCancelled, inputs.shipmentCancelled()],
      ['a repeated late shipment, once cancelled', lateShipmentCancelled, inputs.shipmentInitiated()],
      [
        'a repeated compensation failure',
        [inputs.prescriptionFailed(), inputs.compensationFailed('CancelOrder')],
        inputs.compensationFailed('CancelOrder'),
      ],
    ] as const)('%s', (_case, history, input) => {
      const before = replay(definition, history).at(-1)!;
      const decision = given(...history)
        .when(input)
        .then({ eventTypes: [], intents: [] });
      expect(keyOf(decision.saga)).toEqual(keyOf(before.saga));
      expect(decision.ignoredBecause).toEqual(expect.any(String));
    });
  });
});
