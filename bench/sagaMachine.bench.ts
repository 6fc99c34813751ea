/**
 * CPU cost per event of what the reactor does for each saga input: restore the saga from its
 * stored snapshot (JSON text, as read from SagaStateChanged), decide, and persist the new snapshot
 * (JSON text). The events replay whole sagas: the happy path, each failure-table row, a customer
 * cancel and a duplicate. Baseline, same run: a two-state XState machine through the same
 * restore → transition → persist path, i.e. the floor that xstate's pure transition() sets.
 *
 * Run: npx tsx bench/sagaMachine.bench.ts
 */
import { assign, setup, transition } from 'xstate';
import { decide, fulfillmentSaga, startSaga, type SagaInput } from '../src/domain/saga';
import { inputs, orderId, sagaId } from '../src/domain/saga/testing/sagaInputs';

const definition = fulfillmentSaga({
  stepDeadlinesMs: { CreatePrescription: 30_000, ReserveInventory: 30_000, InitiateShipment: 30_000 },
  retry: { attempts: 5, backoffMs: 200 },
});
const now = new Date('2025-03-01T09:00:00.000Z');

const sagas: SagaInput[][] = [
  [inputs.prescriptionCreated(), inputs.inventoryReserved(), inputs.shipmentInitiated()],
  [inputs.prescriptionFailed(), inputs.orderCancelled()],
  [
    inputs.prescriptionCreated(),
    inputs.inventoryReservationFailed(),
    inputs.prescriptionCancelled(),
    inputs.orderCancelled(),
  ],
  [
    inputs.prescriptionCreated(),
    inputs.inventoryReserved(),
    inputs.shipmentInitiationFailed(),
    inputs.inventoryReleased(),
    inputs.prescriptionCancelled(),
    inputs.orderCancelled(),
  ],
  [
    inputs.prescriptionCreated(),
    inputs.cancellationRequested(),
    inputs.inventoryReserved(),
    inputs.inventoryReleased(),
  ],
  [inputs.prescriptionCreated(), inputs.prescriptionCreated()],
];

/** Every (stored snapshot, input) pair the reactor would see for these sagas. */
const steps: { stored: string; input: SagaInput }[] = sagas.flatMap((saga) => {
  let stored = JSON.stringify(startSaga(definition, { sagaId, orderId, now }).snapshot);
  return saga.map((input) => {
    const step = { stored, input };
    stored = JSON.stringify(decide(definition, JSON.parse(stored), input, { now }).snapshot);
    return step;
  });
});

const toggle = setup({
  types: { context: {} as { count: number }, events: {} as { type: 'flip' } },
  actions: { count: assign(({ context }) => ({ count: context.count + 1 })), notify: () => {} },
}).createMachine({
  initial: 'off',
  context: { count: 0 },
  states: {
    off: { on: { flip: { target: 'on', actions: ['count', 'notify'] } } },
    on: { on: { flip: { target: 'off', actions: ['count'] } } },
  },
});
const toggleStored = JSON.stringify(
  toggle.getPersistedSnapshot(toggle.resolveState({ value: 'off', context: { count: 0 } })),
);

function sagaEvent(index: number): void {
  const { stored, input } = steps[index % steps.length]!;
  const decision = decide(definition, JSON.parse(stored), input, { now });
  JSON.stringify(decision.snapshot);
}

function baselineEvent(): void {
  const { value, context } = JSON.parse(toggleStored) as { value: 'off'; context: { count: number } };
  const [next] = transition(toggle, toggle.resolveState({ value, context }), { type: 'flip' });
  JSON.stringify(toggle.getPersistedSnapshot(next));
}

/** Median of several timed rounds, in µs per event. */
function measure(run: (index: number) => void, perRound: number, rounds: number): number {
  for (let i = 0; i < perRound; i++) run(i); // warm up
  const samples: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < perRound; i++) run(i);
    samples.push(Number(process.hrtime.bigint() - start) / 1000 / perRound);
  }
  return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
}

const perRound = 20_000;
const rounds = 9;
const baseline = measure(baselineEvent, perRound, rounds);
const value = measure(sagaEvent, perRound, rounds);
const reference = 14;
const round2 = (n: number) => Math.round(n * 100) / 100;

console.log(
  `${steps.length} distinct (snapshot, input) pairs from ${sagas.length} sagas; ${rounds} rounds of ${perRound} events, median`,
);
console.log(
  `saga restore + decide + persist: ${round2(value)} µs/event (${Math.round(1e6 / value)} events/s on one core)`,
);
console.log(`baseline, bare xstate restore + transition + persist: ${round2(baseline)} µs/event`);
console.log(`ratio: ${round2(value / baseline)}× the bare xstate floor; lead's reference ~${reference} µs`);
console.log(
  `RESULT ${JSON.stringify({
    name: 'saga_restore_decide_persist_cpu_per_event',
    value: round2(value),
    unit: 'us',
    baseline: round2(baseline),
    ratio: round2(value / baseline),
    target: `<= ${reference} us (lead's reference)`,
    met: value <= reference,
  })}`,
);
