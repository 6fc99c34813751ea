import type { SagaCompensationRecorded, SagaCompleted, SagaFailed, SagaStarted, SagaStateChanged } from '../events';
import { classifyInput, currentStepOf, indexSaga, type SagaContext } from './sagaContext';
import type { SagaDefinition } from './sagaDefinition';
import { SagaMachineVersionError, SagaSnapshotError } from './sagaErrors';
import type { SagaInput, SagaMachineEvent } from './sagaInput';
import type { SagaIntent } from './sagaIntents';
import { createSagaMachine, type SagaMachine } from './sagaMachine';
import { persistedSnapshotOf, restoredSnapshotOf, type SagaMachineSnapshot } from './sagaSnapshots';
import { pureInitialTransition, pureTransition } from './pureTransition';
import {
  sagaStates,
  type CompensationName,
  type ForwardStepName,
  type SagaJobName,
  type SagaState,
} from './sagaVocabulary';

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

type MachineAction = ReturnType<typeof pureInitialTransition<SagaMachine>>[1][number];

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
  const [snapshot, actions] = pureInitialTransition(machine, { sagaId, orderId, startedAt: now.toISOString() });
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
  const [after, actions] = pureTransition(machine, before, machineEventOf(input, now));
  if (!changed(before, after)) {
    const meaning = classifyInput(indexSaga(definition), before.context, input);
    const reason =
      meaning.kind === 'noChange' ? meaning.reason : `${input.type} changes nothing in ${before.value as string}`;
    return decisionAt(before, persisted, [], [], reason);
  }
  return decisionOf(definition, machine, before, after, actions, []);
}

/**
 * Built field by field: an input is `{ type, data }` (a DomainEvent), and spreading it into a new
 * object costs ~1 µs where this costs nothing.
 */
function machineEventOf(input: SagaInput, now: Date): SagaMachineEvent {
  return { type: input.type, data: input.data, at: now } as SagaMachineEvent;
}

/** Restores a persisted saga; refuses another machine version and anything that is not a snapshot of this one. */
export function restore(
  definition: SagaDefinition,
  machine: SagaMachine,
  persisted: PersistedSaga,
): SagaMachineSnapshot {
  if (persisted.machineVersion !== definition.machineVersion) {
    throw new SagaMachineVersionError(definition.name, persisted.machineVersion, definition.machineVersion);
  }
  const { value, context } = (persisted.snapshot ?? {}) as { value?: unknown; context?: unknown };
  if (typeof value !== 'string' || !(sagaStates as readonly string[]).includes(value) || !(value in machine.states)) {
    throw new SagaSnapshotError(definition.name, `"${String(value)}" is not a state of this machine`);
  }
  if (typeof context !== 'object' || context === null)
    throw new SagaSnapshotError(definition.name, 'it has no context');
  return restoredSnapshotOf(machine, value as SagaState, context as SagaContext);
}

function decisionOf(
  definition: SagaDefinition,
  machine: SagaMachine,
  before: SagaMachineSnapshot | null,
  after: SagaMachineSnapshot,
  actions: readonly MachineAction[],
  leading: SagaLifecycleEvent[],
): Decision {
  const snapshot: PersistedSaga = {
    machineVersion: definition.machineVersion,
    snapshot: persistedSnapshotOf(machine, after),
  };
  const events = [...leading, ...lifecycleEvents(before, after, snapshot)];
  return decisionAt(after, snapshot, events, intentsOf(definition, after.context, actions), null);
}

function decisionAt(
  machineSnapshot: SagaMachineSnapshot,
  snapshot: PersistedSaga,
  events: SagaLifecycleEvent[],
  intents: SagaIntent[],
  ignoredBecause: string | null,
): Decision {
  const { value, context } = machineSnapshot;
  return {
    state: value as SagaState,
    currentStep: currentStepOf(context),
    compensationStack: context.compensationStack,
    context,
    snapshot,
    events,
    intents,
    ignoredBecause,
  };
}

function lifecycleEvents(
  before: SagaMachineSnapshot | null,
  after: SagaMachineSnapshot,
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
  const intents: SagaIntent[] = [];
  for (const { type, params } of actions) {
    switch (type) {
      case 'runStep': {
        const step = stepOf(definition, params);
        intents.push({ type, step: step.name, retry: step.retry });
        break;
      }
      case 'scheduleDeadline': {
        const step = stepOf(definition, params);
        intents.push({ type, step: step.name, delayMs: step.deadlineMs });
        break;
      }
      case 'runCompensation': {
        const { compensation, round } = context.runningCompensation!;
        intents.push({ type, compensation, round, retry: compensationRetry(definition, compensation) });
        break;
      }
    }
  }
  return intents;
}

/** The step an intent action names in its params (the graph always passes one). */
function stepOf(definition: SagaDefinition, params: unknown) {
  const name = (params as { step: ForwardStepName }).step;
  return definition.steps.find((step) => step.name === name)!;
}

function compensationRetry(definition: SagaDefinition, name: CompensationName) {
  const { initialCompensation, steps } = definition;
  if (initialCompensation.name === name) return initialCompensation.retry;
  return steps.find((step) => step.compensation?.name === name)!.compensation!.retry;
}

/** xstate returns the very snapshot it was given when no transition was enabled. */
function changed(before: SagaMachineSnapshot, after: SagaMachineSnapshot): boolean {
  return after !== before && (after.value !== before.value || !sameData(after.context, before.context));
}

/** Deep equality of JSON-like data; far cheaper than comparing two JSON.stringify results. */
function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, at) => sameData(item, b[at]))
    );
  }
  const keys = Object.keys(a);
  const other = b as Record<string, unknown>;
  return (
    keys.length === Object.keys(b).length &&
    keys.every((key) => key in other && sameData((a as Record<string, unknown>)[key], other[key]))
  );
}
