/**
 * CPU cost of the saga machine per input:
 * - hot path: what the reactor does per input with the saga in memory: classify, transition,
 *   lifecycle events and intents (`decide`);
 * - cold path: what a saga missing from memory costs per input it has reacted to: its history
 *   replayed through the machine (`replaySaga`), as after a restart.
 * The inputs replay whole sagas: the happy path, each failure-table row, a customer cancel and a
 * duplicate.
 *
 * Baseline, same run: a two-state XState machine through the same public `transition()`: what any
 * machine costs per event driven the documented way. Also, the machine's part of a decision both
 * ways: through the one inert scope sagaRuntime.ts keeps, and through xstate's public
 * `transition()` (which builds an actor per call): the line that justifies keeping that scope.
 * Each figure is the median of several rounds, in wall time and in process CPU time.
 *
 * Run: npx tsx bench/sagaMachine.bench.ts
 */
import { assign, setup, transition } from 'xstate';
import {
  decide,
  fulfillmentSaga,
  replaySaga,
  startSaga,
  type HandledInput,
  type SagaInput,
  type SagaSnapshot,
} from '../src/domain/saga';
import { inputs, orderId, sagaId } from '../src/domain/saga/testing/sagaInputs';
import { indexSaga } from '../src/domain/saga/sagaContext';
import { signalTransition, xstateTransitions } from '../src/domain/saga/sagaRuntime';
import { classify } from '../src/domain/saga/sagaSignals';

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

/** Every (saga in memory, input) pair the reactor would see for these sagas, and each saga's history. */
const steps: { saga: SagaSnapshot; input: SagaInput }[] = [];
const histories: HandledInput[][] = sagas.map((saga) => {
  let current = startSaga(definition, { sagaId, orderId, now }).saga;
  const handled: HandledInput[] = [];
  for (const input of saga) {
    steps.push({ saga: current, input });
    const decision = decide(definition, current, input, { now });
    if (!decision.ignoredBecause) handled.push({ input, at: now, ledTo: decision.state });
    current = decision.saga;
  }
  return handled;
});
const start = { sagaId, orderId, machineVersion: definition.machineVersion, at: now };

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
const toggleOff = toggle.resolveState({ value: 'off', context: { count: 0 } });

const hotPath = (index: number) => {
  const { saga, input } = steps[index % steps.length]!;
  decide(definition, saga, input, { now });
};
const handledCount = histories.reduce((sum, history) => sum + history.length, 0);
/** One call replays one whole saga; reported per input replayed. */
const coldPath = (index: number) => {
  replaySaga(definition, { from: { start }, inputs: histories[index % histories.length]! });
};
/** The machine's part of each decision, through the saga's one inert scope and through xstate's transition(). */
const signals = steps.flatMap(({ saga, input }) => {
  const signal = classify(indexSaga(definition), saga.context, input);
  return signal.type === 'ignored' ? [] : [{ saga, event: { ...signal, at: now } }];
});
const fastMachine = (index: number) => {
  const { saga, event } = signals[index % signals.length]!;
  signalTransition(definition, saga, event);
};
const publicMachine = (index: number) => {
  const { saga, event } = signals[index % signals.length]!;
  xstateTransitions.signal(definition, saga, event);
};

const baselineEvent = () => {
  transition(toggle, toggleOff, { type: 'flip' });
};

type Figure = Readonly<{ wall: number; cpu: number }>;

/** Medians of several timed rounds, in µs per call. */
function measure(run: (index: number) => void, perRound: number, rounds: number): Figure {
  for (let i = 0; i < perRound; i++) run(i); // warm up
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const startCpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    for (let i = 0; i < perRound; i++) run(i);
    wall.push(Number(process.hrtime.bigint() - started) / 1000 / perRound);
    const used = process.cpuUsage(startCpu);
    cpu.push((used.user + used.system) / perRound);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

const median = (samples: number[]) => samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
const round2 = (n: number) => Math.round(n * 100) / 100;
const show = ({ wall, cpu }: Figure) => `${round2(wall)} µs wall, ${round2(cpu)} µs CPU`;

const perRound = 20_000;
const rounds = 7;
const baseline = measure(baselineEvent, perRound, rounds);
const hot = measure(hotPath, perRound, rounds);
const fast = measure(fastMachine, perRound, rounds);
const viaXstate = measure(publicMachine, perRound, rounds);
const perSaga = measure(coldPath, perRound / 4, rounds);
const inputsPerSaga = handledCount / histories.length;
const cold = { wall: perSaga.wall / (inputsPerSaga + 1), cpu: perSaga.cpu / (inputsPerSaga + 1) };

console.log(`${steps.length} (saga, input) pairs from ${sagas.length} sagas; ${rounds} rounds, median`);
console.log(`baseline, a two-state machine through xstate's transition(): ${show(baseline)} per event`);
console.log(
  `hot path, decide() on a saga in memory: ${show(hot)} per input (${round2(hot.cpu / baseline.cpu)}× baseline CPU)`,
);
console.log(`cold path, replaySaga() from the start: ${show(cold)} per transition (start included)`);
console.log(
  `the machine's part: one inert scope ${show(fast)}, xstate's transition() ${show(viaXstate)} ` +
    `(${round2(viaXstate.cpu / fast.cpu)}×: why sagaRuntime.ts keeps its own scope)`,
);
for (const [name, figure] of [
  ['saga_decide_in_memory', hot],
  ['saga_replay_per_transition', cold],
  ['saga_machine_transition_one_scope', fast],
  ['saga_machine_transition_xstate_public', viaXstate],
] as const) {
  console.log(
    `RESULT ${JSON.stringify({ name, value: round2(figure.cpu), unit: 'µs CPU/input', baseline: round2(baseline.cpu), ratio: round2(figure.cpu / baseline.cpu), target: 'report', met: true })}`,
  );
}
