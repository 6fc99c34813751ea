/**
 * CPU cost per event of what the reactor does for each saga input: restore the saga from its
 * stored snapshot (JSON text, as read from SagaStateChanged), decide, and persist the new snapshot
 * (JSON text). The events replay whole sagas: the happy path, each failure-table row, a customer
 * cancel and a duplicate.
 *
 * Baseline, same run: a two-state XState machine through the same restore → transition → persist
 * path with xstate's own pure transition(), i.e. what any machine costs per event driven the
 * documented way. Also printed, same run: the saga machine itself through xstate's transition()
 * and getPersistedSnapshot(), the path decide() took before pureTransition.ts.
 *
 * Each figure is the median of several rounds, in wall time (the RESULT value) and in process CPU
 * time, which the other tenants of this shared machine disturb less.
 *
 * Run: npx tsx bench/sagaMachine.bench.ts
 */
import { assign, setup, transition } from 'xstate';
import { decide, fulfillmentSaga, restore, sagaMachineOf, startSaga, type SagaInput } from '../src/domain/saga';
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

const sagaMachine = sagaMachineOf(definition);

/** The saga machine the documented way: no lifecycle events or intents, just the machine's part. */
function sagaThroughXstateEvent(index: number): void {
  const { stored, input } = steps[index % steps.length]!;
  const before = restore(definition, sagaMachine, JSON.parse(stored));
  const [after] = transition(sagaMachine, before, { ...input, at: now });
  JSON.stringify({ machineVersion: definition.machineVersion, snapshot: sagaMachine.getPersistedSnapshot(after) });
}

type Figure = Readonly<{ wall: number; cpu: number }>;

/** Medians of several timed rounds, in µs per event. */
function measure(run: (index: number) => void, perRound: number, rounds: number): Figure {
  for (let i = 0; i < perRound; i++) run(i); // warm up
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const startCpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    for (let i = 0; i < perRound; i++) run(i);
    wall.push(Number(process.hrtime.bigint() - start) / 1000 / perRound);
    const used = process.cpuUsage(startCpu);
    cpu.push((used.user + used.system) / perRound);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

const median = (samples: number[]) => samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;

const perRound = 20_000;
const rounds = 9;
const baseline = measure(baselineEvent, perRound, rounds);
const throughXstate = measure(sagaThroughXstateEvent, perRound, rounds);
const value = measure(sagaEvent, perRound, rounds);
const reference = 14;
const round2 = (n: number) => Math.round(n * 100) / 100;
const show = ({ wall, cpu }: Figure) => `${round2(wall)} µs/event wall, ${round2(cpu)} µs/event CPU`;

console.log(
  `${steps.length} distinct (snapshot, input) pairs from ${sagas.length} sagas; ${rounds} rounds of ${perRound} events, median`,
);
console.log(`saga restore + decide + persist: ${show(value)} (${Math.round(1e6 / value.wall)} events/s on one core)`);
console.log(`baseline, bare xstate restore + transition + persist: ${show(baseline)}`);
console.log(`the saga machine through xstate's transition() + getPersistedSnapshot(): ${show(throughXstate)}`);
console.log(
  `ratio: ${round2(value.wall / baseline.wall)}× the bare xstate baseline (CPU ${round2(value.cpu / baseline.cpu)}×); ` +
    `${round2(value.wall / throughXstate.wall)}× the saga machine through xstate's transition(); ` +
    `lead's reference ~${reference} µs`,
);
console.log(
  `RESULT ${JSON.stringify({
    name: 'saga_restore_decide_persist_cpu_per_event',
    value: round2(value.wall),
    unit: 'us',
    baseline: round2(baseline.wall),
    ratio: round2(value.wall / baseline.wall),
    target: `<= ${reference} us (lead's reference)`,
    met: value.wall <= reference,
  })}`,
);
