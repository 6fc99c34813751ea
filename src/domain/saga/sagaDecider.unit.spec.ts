import { fulfillmentSaga } from './fulfillmentSaga';
import { decide, startSaga, type Decision } from './sagaDecider';
import { defineSaga, SagaDefinitionError } from './sagaDefinition';
import { SagaHistoryError, SagaMachineVersionError, SagaSnapshotError } from './sagaErrors';
import { persistSaga, replaySaga, restoreSaga } from './sagaHistory';
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
  const essentials = (decision: Decision) => ({
    state: decision.state,
    context: decision.context,
    events: decision.events,
    intents: decision.intents,
    ignoredBecause: decision.ignoredBecause,
  });

  it('a saga persisted mid-way and restored (JSON round trip) continues exactly as one never stored', () => {
    const midway = replay(definition, [inputs.prescriptionCreated()]).at(-1)!;
    let fromStore = roundTrip(definition, midway.saga);
    let inMemory = midway.saga;
    for (const input of rest) {
      const restored = decide(definition, fromStore, input, { now });
      const kept = decide(definition, inMemory, input, { now });
      expect(essentials(restored)).toEqual(essentials(kept));
      fromStore = roundTrip(definition, restored.saga);
      inMemory = kept.saga;
    }
    expect(decide(definition, fromStore, inputs.orderCancelled(), { now }).state).toBe('CANCELLED');
  });

  it('is deterministic: the same history gives the same decisions', () => {
    const history = [inputs.prescriptionCreated(), ...rest];
    expect(replay(definition, history).map(essentials)).toEqual(replay(definition, history).map(essentials));
  });

  it('records facts, not the machine: SagaStarted names the machine version, SagaStateChanged carries no snapshot', () => {
    const start = startSaga(definition, { sagaId, orderId, now });
    expect(start.events[0]).toEqual({
      type: 'SagaStarted',
      data: { sagaId, orderId, machineVersion: definition.machineVersion },
    });
    expect(start.events.at(-1)).toEqual({
      type: 'SagaStateChanged',
      data: {
        sagaId,
        orderId,
        from: null,
        to: 'PENDING_PRESCRIPTION',
        currentStep: 'CreatePrescription',
        compensationStack: ['CancelOrder'],
      },
    });
    expect(persistSaga(definition, start.saga)).toEqual({
      machineVersion: definition.machineVersion,
      snapshot: { value: 'PENDING_PRESCRIPTION', context: start.context },
    });
  });

  it('refuses a snapshot written by a machine version it does not run, naming the versions', () => {
    const persisted = persistSaga(definition, startSaga(definition, { sagaId, orderId, now }).saga);
    const other = { ...persisted, machineVersion: 3 };
    expect(() => restoreSaga(definition, other)).toThrow(SagaMachineVersionError);
    expect(() => restoreSaga(definition, other)).toThrow(/version 3, this service runs versions 1, 2/);
  });

  it('restores a version 1 snapshot (no machineVersion in its memory) as version 1, and decides it by version 1’s rules', () => {
    const timedOut = replay(
      definition,
      [inputs.prescriptionCreated(), inputs.inventoryReservationFailed('STEP_TIMEOUT')],
      1,
    );
    const { machineVersion: _none, ...v1Context } = timedOut.at(-1)!.context;
    const restored = restoreSaga(definition, {
      machineVersion: 1,
      snapshot: JSON.parse(JSON.stringify({ value: 'COMPENSATING', context: v1Context })),
    });
    expect(restored.context.machineVersion).toBe(1);
    // Version 1 did not compensate the reservation it gave up on: CancelPrescription runs, then CancelOrder.
    expect(restored.context.compensationStack).toEqual(['CancelOrder', 'CancelPrescription']);
    expect(decide(definition, restored, inputs.prescriptionCancelled(), { now }).intents).toEqual([
      expect.objectContaining({ type: 'runCompensation', compensation: 'CancelOrder' }),
    ]);
    expect(persistSaga(definition, restored).machineVersion).toBe(1);
  });

  it('refuses something that is not a snapshot of this machine', () => {
    const broken = { machineVersion: 1, snapshot: { value: 'SHIPPED', context: {} } };
    expect(() => restoreSaga(definition, broken)).toThrow(SagaSnapshotError);
    expect(() => restoreSaga(definition, { machineVersion: 1, snapshot: null })).toThrow(SagaSnapshotError);
  });

  it('returns the saga itself and a reason when an input changes nothing', () => {
    const { saga } = startSaga(definition, { sagaId, orderId, now });
    const decision = decide(definition, saga, inputs.shipmentInitiated(), { now });
    expect(decision.saga).toBe(saga);
    expect(decision).toMatchObject({ events: [], intents: [], ignoredBecause: 'InitiateShipment has not started' });
  });

  it('also ignores, with a reason, a signal the state has no transition for', () => {
    const unwinding = replay(definition, [inputs.prescriptionCreated(), inputs.inventoryReservationFailed()]).at(-1)!;
    expect(unwinding.state).toBe('COMPENSATING');
    const decision = decide(definition, unwinding.saga, inputs.cancellationRequested(), { now });
    expect(decision.saga).toBe(unwinding.saga);
    expect(decision.ignoredBecause).toBe('cancellationRequested changes nothing in COMPENSATING');
  });
});

describe('replaySaga: a saga rebuilt from its history', () => {
  const at = (minutes: number) => new Date(now.getTime() + minutes * 60_000);
  const start = { sagaId, orderId, machineVersion: definition.machineVersion, at: now };
  const history = [
    { input: inputs.prescriptionCreated(), at: at(1), ledTo: 'PENDING_INVENTORY_RESERVATION' as const },
    { input: inputs.cancellationRequested(), at: at(2), ledTo: 'COMPENSATING' as const },
    { input: inputs.inventoryReserved(), at: at(3), ledTo: 'COMPENSATING' as const },
  ];

  it('is the saga that lived through it, times included', () => {
    let saga = startSaga(definition, { sagaId, orderId, now }).saga;
    for (const { input, at: decidedAt } of history) saga = decide(definition, saga, input, { now: decidedAt }).saga;
    const replayed = replaySaga(definition, { from: { start }, inputs: history });
    expect([replayed.value, replayed.context]).toEqual([saga.value, saga.context]);
    expect(replayed.context.cancellation?.requestedAt).toBe(at(2).toISOString());
  });

  it('continues from a stored snapshot', () => {
    const [first, ...later] = history;
    const snapshot = persistSaga(definition, replaySaga(definition, { from: { start }, inputs: [first!] }));
    const replayed = replaySaga(definition, { from: { snapshot }, inputs: later });
    expect(replayed.context).toEqual(replaySaga(definition, { from: { start }, inputs: history }).context);
  });

  it('refuses a history that does not lead where it was recorded to lead', () => {
    const changed = [history[0]!, { ...history[1]!, ledTo: 'CANCELLED' as const }];
    expect(() => replaySaga(definition, { from: { start }, inputs: changed })).toThrow(SagaHistoryError);
    expect(() => replaySaga(definition, { from: { start }, inputs: changed })).toThrow(
      /OrderCancellationRequested led to CANCELLED when it was decided, but to COMPENSATING now/,
    );
  });

  it('refuses a saga started by a machine version it does not run', () => {
    expect(() => replaySaga(definition, { from: { start: { ...start, machineVersion: 3 } }, inputs: [] })).toThrow(
      SagaMachineVersionError,
    );
  });

  describe('a version 1 saga that gave up on a step, replayed under today’s code', () => {
    const v1History = [
      { input: inputs.prescriptionCreated(), at: at(1), ledTo: 'PENDING_INVENTORY_RESERVATION' as const },
      { input: inputs.inventoryReservationFailed('STEP_TIMEOUT'), at: at(2), ledTo: 'COMPENSATING' as const },
      { input: inputs.prescriptionCancelled(), at: at(3), ledTo: 'COMPENSATING' as const },
      { input: inputs.orderCancelled(), at: at(4), ledTo: 'CANCELLED' as const },
    ];

    it('replays by version 1’s rules, as it was decided', () => {
      const replayed = replaySaga(definition, { from: { start: { ...start, machineVersion: 1 } }, inputs: v1History });
      expect(replayed.value).toBe('CANCELLED');
      expect(replayed.context).toMatchObject({ machineVersion: 1, compensationStack: [] });
      expect(replayed.context.stepOutcomes.ReserveInventory).toBe('failed');
    });

    it('would not replay as a version 2 saga: the rules differ, so the version is what keeps it running', () => {
      expect(() => replaySaga(definition, { from: { start }, inputs: v1History })).toThrow(SagaHistoryError);
    });
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
          { type: 'runStep', step: 'ReserveInventory', deadlineMs: 2_000, retry: { attempts: 2, backoffMs: 50 } },
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

  it('refuses a machine version without its rules', () => {
    expect(() => defineSaga({ ...optionalStepSaga, machineVersion: 2 })).toThrow(/no rules for machineVersion 2/);
  });
});
