import type { SagaCompensationRecorded, SagaCompleted, SagaFailed, SagaStarted, SagaStateChanged } from '../events';
import { currentStepOf, indexSaga, type SagaContext } from './sagaContext';
import { rulesOf, type SagaDefinition } from './sagaDefinition';
import { SagaMachineVersionError } from './sagaErrors';
import type { SagaInput } from './sagaInput';
import type { SagaIntent } from './sagaIntents';
import { signalTransition, startTransition, type MachineAction, type SagaSnapshot } from './sagaRuntime';
import { classify } from './sagaSignals';
import type { CompensationName, ForwardStepName, SagaJobName, SagaState } from './sagaVocabulary';

/**
 * The pure API the reactor calls: classify the input once, move the machine, and say what to
 * append and what to run. Time comes in as an argument; nothing here reads a clock, draws an id or
 * runs an action.
 */
export type SagaLifecycleEvent = SagaStarted | SagaStateChanged | SagaCompensationRecorded | SagaFailed | SagaCompleted;

export type Decision = Readonly<{
  /** The saga after the input; the very snapshot passed in when the input was ignored. */
  saga: SagaSnapshot;
  state: SagaState;
  currentStep: SagaJobName | null;
  compensationStack: readonly CompensationName[];
  context: SagaContext;
  /** For the saga stream, in this order; empty when the input was ignored. */
  events: SagaLifecycleEvent[];
  intents: SagaIntent[];
  /** Why the input changed nothing (a duplicate, a stale outcome, a cancel after the end): an output, for the logs. */
  ignoredBecause: string | null;
}>;

export type SagaClock = Readonly<{ now: Date }>;

/**
 * A new saga, under the definition's current machine version; `machineVersion` names an earlier
 * one the definition still runs (a saga of that version replayed from its start).
 */
export function startSaga(
  definition: SagaDefinition,
  {
    sagaId,
    orderId,
    now,
    machineVersion = definition.machineVersion,
  }: Readonly<{ sagaId: string; orderId: string; now: Date; machineVersion?: number }>,
): Decision {
  if (!rulesOf(definition, machineVersion)) {
    throw new SagaMachineVersionError(definition.name, machineVersion, Object.keys(definition.versions).map(Number));
  }
  const startedAt = now.toISOString();
  const [saga, actions] = startTransition(definition, { sagaId, orderId, startedAt, machineVersion });
  const started: SagaStarted = { type: 'SagaStarted', data: { sagaId, orderId, machineVersion } };
  return decisionOf(definition, null, saga, actions, [started]);
}

export function decide(definition: SagaDefinition, saga: SagaSnapshot, input: SagaInput, { now }: SagaClock): Decision {
  const signal = classify(indexSaga(definition), saga.context, input);
  if (signal.type === 'ignored') return ignoredDecision(saga, signal.reason);
  const [after, actions] = signalTransition(definition, saga, { ...signal, at: now });
  if (after === saga || (after.value === saga.value && after.context === saga.context)) {
    return ignoredDecision(saga, `${signal.type} changes nothing in ${saga.value as string}`);
  }
  return decisionOf(definition, saga, after, actions, []);
}

function ignoredDecision(saga: SagaSnapshot, reason: string): Decision {
  return { ...summaryOf(saga), events: [], intents: [], ignoredBecause: reason };
}

function decisionOf(
  definition: SagaDefinition,
  before: SagaSnapshot | null,
  after: SagaSnapshot,
  actions: readonly MachineAction[],
  leading: SagaLifecycleEvent[],
): Decision {
  return {
    ...summaryOf(after),
    events: [...leading, ...lifecycleEvents(before, after)],
    intents: intentsOf(definition, after.context, actions),
    ignoredBecause: null,
  };
}

function summaryOf(saga: SagaSnapshot) {
  const { context } = saga;
  return {
    saga,
    state: saga.value as SagaState,
    currentStep: currentStepOf(context),
    compensationStack: context.compensationStack,
    context,
  };
}

/** The facts of a change: compensations pushed, the first failure, the state change, a completion. */
function lifecycleEvents(before: SagaSnapshot | null, after: SagaSnapshot): SagaLifecycleEvent[] {
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
    data: { sagaId, orderId, from, to, currentStep: currentStepOf(after.context), compensationStack },
  });
  // Reached by going forward only: coming back from a review of a late compensation is no new completion.
  if (to === 'COMPLETED' && from !== 'COMPLETED' && from !== 'MANUAL_REVIEW') {
    events.push({ type: 'SagaCompleted', data: { sagaId, orderId } });
  }
  return events;
}

function intentsOf(definition: SagaDefinition, context: SagaContext, actions: readonly MachineAction[]): SagaIntent[] {
  const index = indexSaga(definition);
  const intents: SagaIntent[] = [];
  for (const { type, params } of actions) {
    if (type === 'runStep') {
      const step = index.stepByName.get((params as { step: ForwardStepName }).step)!;
      intents.push({ type, step: step.name, deadlineMs: step.deadlineMs, retry: step.retry });
    } else if (type === 'runCompensation') {
      const { compensation, round } = context.runningCompensation!;
      intents.push({ type, compensation, round, retry: index.compensationByName.get(compensation)!.retry });
    }
  }
  return intents;
}
