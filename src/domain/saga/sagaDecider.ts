import { initialTransition, transition } from 'xstate';
import type { SagaCompensationRecorded, SagaCompleted, SagaFailed, SagaStarted, SagaStateChanged } from '../events';
import { classifyInput, currentStepOf, indexSaga, type SagaContext } from './sagaContext';
import type { SagaDefinition } from './sagaDefinition';
import { SagaMachineVersionError, SagaSnapshotError } from './sagaErrors';
import type { SagaInput } from './sagaInput';
import type { SagaIntent } from './sagaIntents';
import { createSagaMachine, type SagaMachine } from './sagaMachine';
import { sagaStates, type CompensationName, type SagaJobName, type SagaState } from './sagaVocabulary';

/**
 * The pure API the reactor calls: restore → transition → persist, with the lifecycle events to
 * append and the intents to turn into jobs. Time comes in as an argument; nothing here reads a
 * clock, draws an id or runs an action.
 */

export type PersistedSaga = Readonly<{ machineVersion: number; snapshot: unknown }>;

export type SagaLifecycleEvent = SagaStarted | SagaStateChanged | SagaCompensationRecorded | SagaFailed | SagaCompleted;

export type Decision = Readonly<{
  /** The saga after the input; the same object as the one passed in when nothing changed. */
  snapshot: PersistedSaga;
  state: SagaState;
  currentStep: SagaJobName | null;
  compensationStack: readonly CompensationName[];
  /** For the saga stream, in this order; empty when the input changed nothing. */
  events: SagaLifecycleEvent[];
  intents: SagaIntent[];
  /** Why the input changed nothing (a duplicate, a stale outcome, a cancel after the end); for logs. */
  ignoredBecause: string | null;
  context: SagaContext;
}>;

export type SagaClock = Readonly<{ now: Date }>;

type MachineSnapshot = ReturnType<typeof initialTransition<SagaMachine>>[0];
type MachineAction = ReturnType<typeof initialTransition<SagaMachine>>[1][number];

const machines = new WeakMap<SagaDefinition, SagaMachine>();

/** One machine per definition: building it costs far more than a transition. */
export function sagaMachineOf(definition: SagaDefinition): SagaMachine {
  let machine = machines.get(definition);
  if (!machine) machines.set(definition, (machine = createSagaMachine(definition)));
  return machine;
}

export function startSaga(
  definition: SagaDefinition,
  { sagaId, orderId, now }: Readonly<{ sagaId: string; orderId: string; now: Date }>,
): Decision {
  const machine = sagaMachineOf(definition);
  const [snapshot, actions] = initialTransition(machine, { sagaId, orderId, startedAt: now.toISOString() });
  const started: SagaStarted = {
    type: 'SagaStarted',
    data: { sagaId, orderId, machineVersion: definition.machineVersion },
  };
  return decisionOf(definition, machine, null, snapshot, actions, [started]);
}

export function decide(
  definition: SagaDefinition,
  persisted: PersistedSaga,
  input: SagaInput,
  { now }: SagaClock,
): Decision {
  const machine = sagaMachineOf(definition);
  const before = restore(definition, machine, persisted);
  const [after, actions] = transition(machine, before, { ...input, at: now.toISOString() });
  if (!changed(before, after)) {
    const meaning = classifyInput(indexSaga(definition), before.context, input);
    return {
      ...summary(before),
      snapshot: persisted,
      events: [],
      intents: [],
      ignoredBecause:
        meaning.kind === 'noChange' ? meaning.reason : `${input.type} changes nothing in ${before.value as string}`,
    };
  }
  return decisionOf(definition, machine, before, after, actions, []);
}

/** Restores a persisted saga; refuses another machine version and anything that is not a snapshot of this one. */
export function restore(definition: SagaDefinition, machine: SagaMachine, persisted: PersistedSaga): MachineSnapshot {
  if (persisted.machineVersion !== definition.machineVersion) {
    throw new SagaMachineVersionError(definition.name, persisted.machineVersion, definition.machineVersion);
  }
  const { value, context } = (persisted.snapshot ?? {}) as { value?: unknown; context?: unknown };
  if (typeof value !== 'string' || !(sagaStates as readonly string[]).includes(value) || !(value in machine.states)) {
    throw new SagaSnapshotError(definition.name, `"${String(value)}" is not a state of this machine`);
  }
  if (typeof context !== 'object' || context === null)
    throw new SagaSnapshotError(definition.name, 'it has no context');
  return machine.resolveState({ value, context: context as SagaContext });
}

function decisionOf(
  definition: SagaDefinition,
  machine: SagaMachine,
  before: MachineSnapshot | null,
  after: MachineSnapshot,
  actions: readonly MachineAction[],
  leading: SagaLifecycleEvent[],
): Decision {
  const snapshot: PersistedSaga = {
    machineVersion: definition.machineVersion,
    snapshot: machine.getPersistedSnapshot(after),
  };
  return {
    ...summary(after),
    snapshot,
    events: [...leading, ...lifecycleEvents(before, after, snapshot)],
    intents: intentsOf(definition, after.context, actions),
    ignoredBecause: null,
  };
}

function summary(snapshot: MachineSnapshot) {
  return {
    state: snapshot.value as SagaState,
    currentStep: currentStepOf(snapshot.context),
    compensationStack: snapshot.context.compensationStack,
    context: snapshot.context,
  };
}

function lifecycleEvents(
  before: MachineSnapshot | null,
  after: MachineSnapshot,
  persisted: PersistedSaga,
): SagaLifecycleEvent[] {
  const { sagaId, orderId, compensationStack } = after.context;
  const previous = before?.context;
  const from = (before?.value as SagaState | undefined) ?? null;
  const to = after.value as SagaState;
  const events: SagaLifecycleEvent[] = [];
  for (const compensation of compensationStack) {
    if (previous?.compensationStack.includes(compensation)) continue;
    events.push({ type: 'SagaCompensationRecorded', data: { sagaId, orderId, compensation, compensationStack } });
  }
  const failure = after.context.failure;
  if (failure && !previous?.failure) {
    events.push({ type: 'SagaFailed', data: { sagaId, orderId, failedStep: failure.step, ...failure } });
  }
  events.push({
    type: 'SagaStateChanged',
    data: {
      sagaId,
      orderId,
      from,
      to,
      currentStep: currentStepOf(after.context),
      compensationStack,
      machineVersion: persisted.machineVersion,
      snapshot: persisted.snapshot,
    },
  });
  // Reached by going forward only: coming back from a review of a late compensation is no new completion.
  if (to === 'COMPLETED' && from !== 'COMPLETED' && from !== 'MANUAL_REVIEW') {
    events.push({ type: 'SagaCompleted', data: { sagaId, orderId } });
  }
  return events;
}

function intentsOf(definition: SagaDefinition, context: SagaContext, actions: readonly MachineAction[]): SagaIntent[] {
  const stepNamed = (name: unknown) => definition.steps.find((step) => step.name === name)!;
  return actions.flatMap((action): SagaIntent[] => {
    const params = action.params as { step?: unknown } | undefined;
    switch (action.type) {
      case 'runStep':
        return [{ type: 'runStep', step: stepNamed(params?.step).name, retry: stepNamed(params?.step).retry }];
      case 'scheduleDeadline':
        return [
          { type: 'scheduleDeadline', step: stepNamed(params?.step).name, delayMs: stepNamed(params?.step).deadlineMs },
        ];
      case 'runCompensation': {
        const { compensation, round } = context.runningCompensation!;
        return [{ type: 'runCompensation', compensation, round, retry: compensationRetry(definition, compensation) }];
      }
      default:
        return [];
    }
  });
}

function compensationRetry(definition: SagaDefinition, name: CompensationName) {
  const { initialCompensation, steps } = definition;
  if (initialCompensation.name === name) return initialCompensation.retry;
  return steps.find((step) => step.compensation?.name === name)!.compensation!.retry;
}

function changed(before: MachineSnapshot, after: MachineSnapshot): boolean {
  return before.value !== after.value || JSON.stringify(before.context) !== JSON.stringify(after.context);
}
