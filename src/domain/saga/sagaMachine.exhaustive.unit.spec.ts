import { fulfillmentSaga } from './fulfillmentSaga';
import type { SagaContext } from './sagaContext';
import { decide, startSaga, type Decision } from './sagaDecider';
import { rulesOf, type SagaDefinition } from './sagaDefinition';
import { sagaInputTypes, type SagaInput } from './sagaInput';
import { sagaMachineOf } from './sagaRuntime';
import { sagaStates, type SagaState } from './sagaVocabulary';
import { compensationDone, everyInput, inputs, orderId, sagaId, typesOf } from './testing/sagaInputs';
import { optionalStepSaga } from './testing/optionalStepSaga';
import { keyOf as sagaKey, now, roundTrip } from './testing/sagaSpecification';

/**
 * Every reachable state × every input, for each machine version the fulfillment saga runs.
 * Reachable states are found by a breadth-first search over the pure transition. Every state is
 * tried with every input type and the data variants that matter (a rejection and a timeout per
 * step, each compensation, rounds 0 to 2); successors are expanded up to round 1 (operator retry
 * loops would otherwise grow rounds for ever), and, under version 1's rules, from one failure code
 * per step (there a timeout and a rejection differ only in the recorded code; from version 2 on a
 * timeout is an unknown outcome, compensated, and its successors are explored too). STEP_TIMEOUT
 * stands for both unknown-outcome codes: RETRIES_EXHAUSTED is classified by the same list. Each
 * (state, input) pair is checked against the invariants below.
 */
const fulfillment = fulfillmentSaga({
  stepDeadlinesMs: { CreatePrescription: 1_000, ReserveInventory: 2_000, InitiateShipment: 3_000 },
  retry: { attempts: 3, backoffMs: 10 },
});
const everySagaInput = everyInput([0, 1, 2]);
const isTimeout = (input: SagaInput) => 'code' in input.data && input.data.code === 'STEP_TIMEOUT';
const maxExpandedRound = 1;

type Node = Readonly<{ decision: Decision; path: readonly string[] }>;
type Pair = Readonly<{ from: Node; input: SagaInput; decision: Decision }>;

const explorations = new Map<string, ReturnType<typeof explore>>();

/** Each exploration once: the invariants and the fingerprint share it. */
function explorationOf(definition: SagaDefinition, machineVersion = definition.machineVersion) {
  const key = `${definition.name} v${machineVersion}`;
  if (!explorations.has(key)) explorations.set(key, explore(definition, machineVersion));
  return explorations.get(key)!;
}

function explore(definition: SagaDefinition, machineVersion: number) {
  const expandTimeouts = rulesOf(definition, machineVersion)!.compensateUnknownOutcomes;
  const start = startSaga(definition, { sagaId, orderId, now, machineVersion });
  const seen = new Map<string, Node>([[keyOf(start), { decision: start, path: [] }]]);
  const queue: Node[] = [...seen.values()];
  const pairs: Pair[] = [];
  for (let node = queue.shift(); node; node = queue.shift()) {
    for (const input of everySagaInput) {
      const decision = decide(definition, roundTrip(definition, node.decision.saga), input, { now });
      pairs.push({ from: node, input, decision });
      const key = keyOf(decision);
      if (seen.has(key) || (isTimeout(input) && !expandTimeouts)) continue;
      if (Object.values(decision.context.nextRounds).some((round) => round! > maxExpandedRound)) continue;
      const next = { decision, path: [...node.path, label(input)] };
      seen.set(key, next);
      queue.push(next);
    }
  }
  return { nodes: [...seen.values()], pairs };
}

const keyOf = (decision: Decision) => sagaKey(decision.saga);
const label = (input: SagaInput) =>
  'compensation' in input.data ? `${input.type}(${input.data.compensation})` : input.type;
const isPending = (state: SagaState) => state.startsWith('PENDING_');
const terminal: readonly SagaState[] = ['COMPLETED', 'CANCELLED'];

function checkPair(definition: SagaDefinition, { from, input, decision }: Pair) {
  const before = from.decision;
  const where = `${before.state} after [${from.path.join(', ')}] on ${label(input)}`;
  const fail = (problem: string) => {
    throw new Error(`${problem}\n  at: ${where}\n  decision: ${JSON.stringify({ ...decision, saga: undefined })}`);
  };
  if (!sagaStates.includes(decision.state)) fail(`unknown state ${decision.state}`);

  // Terminal for the state: a saga never goes back to a pending state, and leaves COMPLETED or
  // CANCELLED only for MANUAL_REVIEW (a late compensation that failed).
  if (!isPending(before.state) && isPending(decision.state)) fail('left a non-pending state for a pending one');
  if (terminal.includes(before.state) && decision.state !== before.state && decision.state !== 'MANUAL_REVIEW') {
    fail(`left terminal ${before.state} for ${decision.state}`);
  }

  checkStack(definition, decision.context, fail);

  const changed = keyOf(decision) !== keyOf(before);
  if (!changed && (decision.events.length > 0 || decision.intents.length > 0)) fail('no change, yet events or intents');
  if (!changed && decision.ignoredBecause === null) fail('no change and no reason');
  if (changed) {
    const stateChanged = decision.events.find((event) => event.type === 'SagaStateChanged');
    if (!stateChanged || stateChanged.data.to !== decision.state)
      fail('changed without a SagaStateChanged to the new state');
    if (
      stateChanged!.data.currentStep !== decision.currentStep ||
      JSON.stringify(stateChanged!.data.compensationStack) !== JSON.stringify(decision.compensationStack)
    ) {
      fail('SagaStateChanged does not record the step and stack the saga is left with');
    }
  }

  checkIntents(definition, decision, fail);
  checkUnknownOutcomes(definition, { from, input, decision }, fail);

  // A duplicate of the last input changes nothing.
  const again = decide(definition, roundTrip(definition, decision.saga), input, { now });
  if (again.events.length > 0 || again.intents.length > 0 || keyOf(again) !== keyOf(decision)) {
    fail(
      `a duplicate changed the saga: ${JSON.stringify({ events: again.events.map((e) => e.type), intents: again.intents })}`,
    );
  }
}

/**
 * The stack only holds the initial compensation (at the bottom) and those of steps that succeeded
 * or were given up with their outcome unknown, each once.
 */
function checkStack(definition: SagaDefinition, context: SagaContext, fail: (problem: string) => void) {
  const stack = context.compensationStack;
  if (new Set(stack).size !== stack.length) fail(`a compensation twice on the stack: ${stack.join(', ')}`);
  stack.forEach((compensation, position) => {
    if (compensation === definition.initialCompensation.name) {
      if (position !== 0) fail(`${compensation} is not at the bottom`);
      return;
    }
    const step = definition.steps.find((candidate) => candidate.compensation?.name === compensation);
    const outcome = step && context.stepOutcomes[step.name];
    if (outcome !== 'succeeded' && outcome !== 'succeededAfterGivenUp' && outcome !== 'unknown')
      fail(`${compensation} on the stack, its step ${outcome ?? 'never ran'}`);
  });
}

function checkIntents(definition: SagaDefinition, decision: Decision, fail: (problem: string) => void) {
  const { context, state, intents } = decision;
  const runSteps = intents.filter((intent) => intent.type === 'runStep');
  const compensations = intents.filter((intent) => intent.type === 'runCompensation');
  if (runSteps.length > 1 || compensations.length > 1) fail('more than one job of a kind at once');
  for (const intent of runSteps) {
    const step = definition.steps.find((candidate) => candidate.name === intent.step)!;
    if (state !== step.state || context.awaitingStep !== step.name) fail(`runStep ${step.name} while ${state}`);
    if (intent.deadlineMs !== step.deadlineMs) fail(`${step.name} runs without its deadline`);
  }
  for (const intent of compensations) {
    const running = context.runningCompensation;
    if (running?.compensation !== intent.compensation || running.round !== intent.round)
      fail('runCompensation is not the one running');
    if (context.compensationStack.at(-1) !== intent.compensation)
      fail('runCompensation does not run the top of the stack (LIFO)');
    if (state === 'COMPENSATING' && context.awaitingStep !== null) fail('unwinding while a forward step is in flight');
    // Nothing is undone unless the saga unwinds (a failure, a cancel request, an operator's
    // resolution) or the step's success came after the saga had given up on it: a saga that
    // completes in time keeps its stack, CancelShipment included, and runs none of it. Checked
    // for sagas without optional steps only: with one, an operator's retry of a late compensation
    // that failed while the saga went forward resumes as unwinding (MANUAL_REVIEW returns to
    // COMPENSATING), so the whole saga is undone though nothing required failed.
    const step = definition.steps.find((candidate) => candidate.compensation?.name === intent.compensation);
    const unwinding = context.failure !== null || context.cancellation !== null || context.resolution !== null;
    const lateSuccess = step !== undefined && context.stepOutcomes[step.name] === 'succeededAfterGivenUp';
    if (everyStepRequired(definition) && !unwinding && !lateSuccess) {
      fail(`${intent.compensation} runs though nothing failed, was cancelled or succeeded late`);
    }
  }
  if (state === 'COMPLETED') {
    const unmet = definition.steps.filter((step) => step.required && context.stepOutcomes[step.name] !== 'succeeded');
    if (unmet.length > 0) fail(`COMPLETED with ${unmet.map((step) => step.name).join(', ')} not succeeded`);
  }
}

/**
 * Under rules that compensate unknown outcomes, a required step that times out is given up with its
 * compensation pushed on top at once (unwinding then sends it first), and its success reported later
 * pushes nothing more. Under rules that do not (version 1), no step's outcome is ever unknown.
 */
function checkUnknownOutcomes(definition: SagaDefinition, { from, input, decision }: Pair, fail: (p: string) => void) {
  const before = from.decision.context;
  const after = decision.context;
  const { compensateUnknownOutcomes } = rulesOf(definition, after.machineVersion)!;
  for (const step of definition.steps) {
    const was = before.stepOutcomes[step.name];
    const is = after.stepOutcomes[step.name];
    const compensation = step.compensation!.name;
    const count = (stack: readonly string[]) => stack.filter((name) => name === compensation).length;
    if (is === 'unknown' && !compensateUnknownOutcomes)
      fail(`${step.name} unknown under rules that do not compensate it`);
    const timedOut = isTimeout(input) && input.type === step.failedOn && before.awaitingStep === step.name;
    if (timedOut && compensateUnknownOutcomes && step.required) {
      if (is !== 'unknown') fail(`${step.name} timed out but is ${is}, not unknown`);
      if (after.compensationStack.at(-1) !== compensation)
        fail(`${compensation} not pushed on top when ${step.name} timed out`);
      if (decision.intents.some((intent) => intent.type === 'runCompensation' && intent.compensation !== compensation))
        fail(`another compensation runs before ${compensation}, pushed when its step was given up`);
    }
    if (
      was === 'unknown' &&
      is === 'succeededAfterGivenUp' &&
      count(after.compensationStack) > count(before.compensationStack)
    )
      fail(`the late success of ${step.name} pushed ${compensation} a second time`);
  }
}

const everyStepRequired = (definition: SagaDefinition) => definition.steps.every((step) => step.required);

/** Let time pass: deadlines fire for steps in flight, compensations in flight succeed. */
function settle(definition: SagaDefinition, start: Decision): Decision {
  const timeout: Record<string, () => SagaInput> = {
    CreatePrescription: () => inputs.prescriptionFailed('STEP_TIMEOUT'),
    ReserveInventory: () => inputs.inventoryReservationFailed('STEP_TIMEOUT'),
    InitiateShipment: () => inputs.shipmentInitiationFailed('STEP_TIMEOUT'),
  };
  let decision = start;
  for (let turn = 0; turn < 20; turn++) {
    const { awaitingStep, runningCompensation } = decision.context;
    const input = awaitingStep
      ? timeout[awaitingStep]!()
      : runningCompensation
        ? compensationDone[runningCompensation.compensation]()
        : undefined;
    if (!input) return decision;
    decision = decide(definition, roundTrip(definition, decision.saga), input, { now });
  }
  throw new Error(`saga does not settle: ${JSON.stringify(decision.context)}`);
}

describe.each([
  ['the fulfillment saga', fulfillment, fulfillment.machineVersion],
  ['the fulfillment saga, a version 1 saga still in flight', fulfillment, 1],
  ['a saga with an optional step', optionalStepSaga, optionalStepSaga.machineVersion],
])('%s, every reachable state × every input', (_name, definition, machineVersion) => {
  const { nodes, pairs } = explorationOf(definition, machineVersion);

  it('tries every input type in every reachable state', () => {
    expect(typesOf(everySagaInput)).toEqual(new Set(sagaInputTypes));
    expect(pairs.length).toBe(nodes.length * everySagaInput.length);
    // Printed for the report: how much was explored.
    console.log(
      `${definition.name} v${machineVersion}: ${nodes.length} reachable states, ${pairs.length} (state, input) pairs`,
    );
  });

  it('reaches every state of the machine, and the machine has only SPEC states', () => {
    const machineStates = Object.keys(sagaMachineOf(definition).states);
    expect(machineStates.every((state) => (sagaStates as readonly string[]).includes(state))).toBe(true);
    expect(new Set(nodes.map((node) => node.decision.state))).toEqual(new Set(machineStates));
  });

  it('holds every invariant on every (state, input) pair', () => {
    for (const pair of pairs) checkPair(definition, pair);
  });

  it('settles from every reachable state once deadlines pass: COMPLETED, CANCELLED or MANUAL_REVIEW, nothing in flight', () => {
    for (const node of nodes) {
      const settled = settle(definition, node.decision);
      expect(['COMPLETED', 'CANCELLED', 'MANUAL_REVIEW']).toContain(settled.state);
      expect(settled.context.runningCompensation).toBeNull();
      expect(settled.context.awaitingStep).toBeNull();
      if (settled.state === 'CANCELLED') expect(settled.compensationStack).toEqual([]);
    }
  });
});

/**
 * Stored sagas are replayed through the machine (sagaHistory.ts), so the machine must go on deciding
 * every input as it did when the saga was stored, or the machine version must be bumped. This
 * fingerprint of every (state, input) → (state, intents, events) pair of the fulfillment saga, per
 * machine version it runs, catches a change of behaviour that forgot the bump. Version 1's, as
 * recorded when the engine moved from a guard-classified graph to signals (sagaSignals.ts), still
 * holds for version 1 sagas under today's code: the memory's `machineVersion` (added with version 2)
 * is left out of the keys, the decisions are the same.
 */
const decisionsOfMachineVersion: Record<number, string> = {
  1: '41223 pairs, fnv1a 2ae8239c',
  2: '61191 pairs, fnv1a 8622c464',
};

it.each(Object.keys(decisionsOfMachineVersion).map(Number))(
  'decides every input of every reachable state of a version %i saga as that version always has',
  (machineVersion) => {
    const { pairs } = explorationOf(fulfillment, machineVersion);
    const lines = pairs.map(({ from, input, decision }) =>
      JSON.stringify([
        versionlessKey(from.decision),
        input,
        versionlessKey(decision),
        decision.intents,
        decision.events.map((event) => event.type),
      ]),
    );
    const fingerprint = `${lines.length} pairs, fnv1a ${fnv1a(lines.sort().join('\n'))}`;
    expect(fingerprint).toBe(decisionsOfMachineVersion[machineVersion]);
  },
);

it('runs every machine version it has a fingerprint for, the newest for new sagas', () => {
  expect(Object.keys(fulfillment.versions).map(Number)).toEqual(Object.keys(decisionsOfMachineVersion).map(Number));
  expect(fulfillment.machineVersion).toBe(Math.max(...Object.keys(decisionsOfMachineVersion).map(Number)));
});

const versionlessKey = ({ saga }: Decision) => {
  const { machineVersion: _version, ...context } = saga.context;
  return JSON.stringify([saga.value, context]);
};

/** 32-bit FNV-1a: enough to notice a change (the domain imports nothing, not even node:crypto). */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let at = 0; at < text.length; at++) hash = Math.imul(hash ^ text.charCodeAt(at), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

it('the fulfillment machine has exactly the SPEC states', () => {
  expect(Object.keys(sagaMachineOf(fulfillment).states).sort()).toEqual([...sagaStates].sort());
});
