import { fulfillmentSaga } from './fulfillmentSaga';
import { decide, startSaga } from './sagaDecider';
import { defineSaga, SagaDefinitionError } from './sagaDefinition';
import { SagaMachineVersionError, SagaSnapshotError } from './sagaErrors';
import { inputs, orderId, sagaId } from './testing/sagaInputs';
import { optionalStepSaga } from './testing/optionalStepSaga';
import { now, replay, roundTrip, sagaSpecification } from './testing/sagaSpecification';

const definition = fulfillmentSaga({
  stepDeadlinesMs: { CreatePrescription: 1_000, ReserveInventory: 2_000, InitiateShipment: 3_000 },
  retry: { attempts: 3, backoffMs: 10 },
});

describe('sagaDecider', () => {
  const rest = [
    inputs.inventoryReserved(),
    inputs.shipmentInitiationFailed(),
    inputs.inventoryReleased(),
    inputs.prescriptionCancelled(),
    inputs.orderCancelled(),
  ];

  it('a saga restored mid-way from its last SagaStateChanged (JSON round trip) continues exactly as one never stored', () => {
    const midway = replay(definition, [inputs.prescriptionCreated()]).at(-1)!;
    const lastStateChanged = midway.events.findLast((event) => event.type === 'SagaStateChanged')!;
    const stored = roundTrip({
      machineVersion: lastStateChanged.data.machineVersion,
      snapshot: lastStateChanged.data.snapshot,
    });

    let fromStore = stored;
    let inMemory = midway.snapshot;
    for (const input of rest) {
      const restored = decide(definition, fromStore, input, { now });
      const kept = decide(definition, inMemory, input, { now });
      expect(restored).toEqual(kept);
      fromStore = roundTrip(restored.snapshot);
      inMemory = kept.snapshot;
    }
    expect(decide(definition, fromStore, inputs.orderCancelled(), { now }).state).toBe('CANCELLED');
  });

  it('is deterministic: the same history gives the same decisions', () => {
    const history = [inputs.prescriptionCreated(), ...rest];
    expect(replay(definition, history)).toEqual(replay(definition, history));
  });

  it('carries the machine version with every snapshot and in SagaStarted and SagaStateChanged', () => {
    const start = startSaga(definition, { sagaId, orderId, now });
    expect(start.snapshot.machineVersion).toBe(definition.machineVersion);
    expect(start.events[0]).toEqual({
      type: 'SagaStarted',
      data: { sagaId, orderId, machineVersion: definition.machineVersion },
    });
    expect(start.events.at(-1)).toMatchObject({
      type: 'SagaStateChanged',
      data: { from: null, to: 'PENDING_PRESCRIPTION', machineVersion: 1 },
    });
  });

  it('refuses a snapshot written by another machine version, naming both versions', () => {
    const { snapshot } = startSaga(definition, { sagaId, orderId, now });
    const other = { ...snapshot, machineVersion: snapshot.machineVersion + 1 };
    expect(() => decide(definition, other, inputs.prescriptionCreated(), { now })).toThrow(SagaMachineVersionError);
    expect(() => decide(definition, other, inputs.prescriptionCreated(), { now })).toThrow(/version 2.*version 1/);
  });

  it('refuses something that is not a snapshot of this machine', () => {
    const broken = { machineVersion: 1, snapshot: { value: 'SHIPPED', context: {} } };
    expect(() => decide(definition, broken, inputs.prescriptionCreated(), { now })).toThrow(SagaSnapshotError);
    expect(() =>
      decide(definition, { machineVersion: 1, snapshot: null }, inputs.prescriptionCreated(), { now }),
    ).toThrow(SagaSnapshotError);
  });

  it('returns the stored snapshot itself and a reason when an input changes nothing', () => {
    const { snapshot } = startSaga(definition, { sagaId, orderId, now });
    const decision = decide(definition, snapshot, inputs.shipmentInitiated(), { now });
    expect(decision.snapshot).toBe(snapshot);
    expect(decision.ignoredBecause).toBe('InitiateShipment has not started');
  });
});

describe('an optional step', () => {
  const { given } = sagaSpecification(optionalStepSaga);

  it('fails without compensating: the failure is recorded and the saga goes on', () => {
    const decision = given()
      .when(inputs.prescriptionFailed())
      .then({
        state: 'PENDING_INVENTORY_RESERVATION',
        compensationStack: ['CancelOrder'],
        intents: [
          { type: 'runStep', step: 'ReserveInventory', retry: { attempts: 2, backoffMs: 50 } },
          { type: 'scheduleDeadline', step: 'ReserveInventory', delayMs: 2_000 },
        ],
        eventTypes: ['SagaStateChanged'],
      });
    expect(decision.context.skippedSteps).toEqual([
      { step: 'CreatePrescription', code: 'PRESCRIBER_REQUIRED', reason: 'controlled medication' },
    ]);
    expect(decision.context.failure).toBeNull();
  });

  it('then completes, and its late success is still compensated without leaving COMPLETED', () => {
    const completed = [inputs.prescriptionFailed('STEP_TIMEOUT'), inputs.inventoryReserved()];
    given(...completed)
      .when(inputs.prescriptionCreated())
      .then({
        state: 'COMPLETED',
        compensationStack: ['CancelOrder', 'ReleaseInventory', 'CancelPrescription'],
        intents: [
          {
            type: 'runCompensation',
            compensation: 'CancelPrescription',
            round: 0,
            retry: { attempts: 2, backoffMs: 50 },
          },
        ],
      });
    given(...completed, inputs.prescriptionCreated())
      .when(inputs.prescriptionCancelled())
      .then({
        state: 'COMPLETED',
        compensationStack: ['CancelOrder', 'ReleaseInventory'],
        intents: [],
        eventTypes: ['SagaStateChanged'],
      });
  });

  it('a late compensation failing after COMPLETED is reviewed, and a retry or resolution returns to COMPLETED', () => {
    const reviewed = [
      inputs.prescriptionFailed('STEP_TIMEOUT'),
      inputs.inventoryReserved(),
      inputs.prescriptionCreated(),
      inputs.compensationFailed('CancelPrescription', 0),
    ];
    expect(replay(optionalStepSaga, reviewed).at(-1)!.state).toBe('MANUAL_REVIEW');
    given(...reviewed)
      .when(inputs.retryRequested('CancelPrescription', 0))
      .then({
        state: 'COMPLETED',
        intents: [expect.objectContaining({ compensation: 'CancelPrescription', round: 1 })] as never,
      });
    given(...reviewed)
      .when(inputs.resolvedManually())
      .then({
        state: 'COMPLETED',
        compensationStack: ['CancelOrder', 'ReleaseInventory'],
        eventTypes: ['SagaStateChanged'],
      });
  });
});

describe('defineSaga', () => {
  it('refuses a step state, name or event type used twice', () => {
    const [first] = optionalStepSaga.steps;
    const twice = { ...optionalStepSaga, steps: [first, { ...first, name: 'ReserveInventory' as const }] as const };
    expect(() => defineSaga(twice)).toThrow(SagaDefinitionError);
    expect(() => defineSaga(twice)).toThrow(/PENDING_PRESCRIPTION/);
  });

  it('refuses a machine version that is not a positive integer', () => {
    expect(() => defineSaga({ ...optionalStepSaga, machineVersion: 0 })).toThrow(/machineVersion/);
  });
});
