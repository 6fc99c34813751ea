import { isUnknownOutcome } from '../events/values';
import { withoutLast, type ReviewReturn, type SagaContext, type SagaIndex } from './sagaContext';
import { rulesOf, type SagaRules, type SagaStepDefinition } from './sagaDefinition';
import type { SagaInput } from './sagaInput';
import type { CompensationName, ForwardStepName } from './sagaVocabulary';

/**
 * The saga's rules, stated once. An input (an event some participant, customer or operator
 * appended) is read against the saga's memory exactly once, in `classify`: it either means
 * something to the saga — a signal — or it is ignored, with the reason. `record` is what each
 * signal changes in the memory. The machine (sagaMachine.ts) only says where each signal leads
 * from each state; it never looks at an input again.
 *
 * Idempotency is by meaning: each step keeps the first outcome it saw, a compensation outcome
 * counts only for the compensation running (at the round running), an operator's retry only for
 * the review it names. Anything else is ignored.
 *
 * A step's failure is a known negative (its participant rejected it: nothing to undo) or an unknown
 * outcome (the saga gave up without an answer: the participant may have acted). Under the rules of
 * machine version 2 on, an unknown outcome is compensated like a success: its compensation is
 * pushed at once, so unwinding sends it first and the saga ends CANCELLED only once it is done.
 */
export type SagaSignal =
  /** The step in flight succeeded. */
  | Readonly<{ type: 'stepSucceeded'; step: ForwardStepName }>
  /**
   * A step the saga had given up on succeeded after all: it is compensated, never applied.
   * `compensationSent`: it was given up with its outcome unknown, so its compensation was pushed
   * then (it is on the stack, running or done) and is not pushed twice; a compensation that ran
   * before the success landed left a tombstone, so such a success is always one it undoes.
   */
  | Readonly<{ type: 'stepSucceededLate'; step: ForwardStepName; compensationSent: boolean }>
  /**
   * The step in flight failed: rejected by its participant, timed out, or out of retries.
   * `compensate`: its outcome is unknown and the saga's rules compensate it (pushed now).
   */
  | Readonly<{
      type: 'stepFailed';
      step: ForwardStepName;
      required: boolean;
      code: string;
      reason: string;
      compensate: boolean;
    }>
  | Readonly<{ type: 'compensationDone'; compensation: CompensationName }>
  /** The running compensation failed after its retries: an operator takes over. */
  | Readonly<{ type: 'compensationFailed'; compensation: CompensationName; round: number; reason: string }>
  | Readonly<{ type: 'cancellationRequested'; reason: string | null }>
  /** An operator retries the compensation under review. */
  | Readonly<{ type: 'reviewRetried' }>
  /** An operator did by hand what was left to undo. */
  | Readonly<{ type: 'reviewResolved'; note: string; resolvedBy: string }>;

export type SagaSignalType = SagaSignal['type'];

export type Ignored = Readonly<{ type: 'ignored'; reason: string }>;

export function classify(index: SagaIndex, context: SagaContext, input: SagaInput): SagaSignal | Ignored {
  const succeeded = index.stepBySuccess.get(input.type);
  if (succeeded) {
    const seen = context.stepOutcomes[succeeded.name];
    if (seen === undefined && context.awaitingStep === succeeded.name) {
      return { type: 'stepSucceeded', step: succeeded.name };
    }
    if (seen === 'failed' || seen === 'unknown') {
      return { type: 'stepSucceededLate', step: succeeded.name, compensationSent: seen === 'unknown' };
    }
    return ignored(seen === undefined ? `${succeeded.name} has not started` : `${succeeded.name} already ${seen}`);
  }
  const failed = index.stepByFailure.get(input.type);
  if (failed) {
    const seen = context.stepOutcomes[failed.name];
    if (seen === undefined && context.awaitingStep === failed.name) {
      const { code, reason } = input.data as Readonly<{ code: string; reason: string }>;
      const compensate = compensatesUnknownOutcome(rulesOf(index.definition, context.machineVersion)!, failed, code);
      return { type: 'stepFailed', step: failed.name, required: failed.required, code, reason, compensate };
    }
    return ignored(
      seen === undefined ? `${failed.name} has not started` : `${failed.name} already ${seen}: the first outcome wins`,
    );
  }
  const done = index.compensationByDone.get(input.type);
  if (done) {
    return context.runningCompensation?.compensation === done.name
      ? { type: 'compensationDone', compensation: done.name }
      : ignored(`${done.name} is not running: a duplicate or stale ${input.type}`);
  }
  switch (input.type) {
    case 'OrderCancellationRequested':
      return context.cancellation
        ? ignored('cancellation already requested')
        : { type: 'cancellationRequested', reason: input.data.reason };
    case 'SagaCompensationFailed': {
      const { compensation, round, reason } = input.data;
      const running = context.runningCompensation;
      return running?.compensation === compensation && running.round === round
        ? { type: 'compensationFailed', compensation, round, reason }
        : ignored(`${compensation} round ${round} is not running: a duplicate or stale failure`);
    }
    case 'SagaRetryRequested': {
      const review = context.manualReview;
      return review?.compensation === input.data.compensation && review.round === input.data.round
        ? { type: 'reviewRetried' }
        : ignored(`no manual review of ${input.data.compensation} round ${input.data.round} is open`);
    }
    case 'SagaResolvedManually':
      return context.manualReview
        ? { type: 'reviewResolved', note: input.data.note, resolvedBy: input.data.resolvedBy }
        : ignored('no manual review is open');
    default:
      return ignored(`${input.type} is not an input of saga ${index.definition.name}`);
  }
}

const ignored = (reason: string): Ignored => ({ type: 'ignored', reason });

/**
 * Only a required step's: an optional step's failure is recorded and the saga goes on without
 * undoing anything (its success reported later is still compensated).
 */
const compensatesUnknownOutcome = (rules: SagaRules, step: SagaStepDefinition, code: string) =>
  rules.compensateUnknownOutcomes && step.required && step.compensation !== null && isUnknownOutcome(code);

/**
 * What a signal changes, whatever the state. `reviewReturnsTo` is where an operator's retry of a
 * compensation that fails now will lead: the graph knows it from the state it fails in.
 */
export function record(
  index: SagaIndex,
  context: SagaContext,
  signal: SagaSignal,
  at: Date,
  reviewReturnsTo: ReviewReturn | 'unchanged' = 'unchanged',
): SagaContext {
  switch (signal.type) {
    case 'stepSucceeded':
    case 'stepSucceededLate': {
      const inTime = signal.type === 'stepSucceeded';
      const push = inTime || !signal.compensationSent;
      return {
        ...context,
        awaitingStep: inTime ? null : context.awaitingStep,
        stepOutcomes: { ...context.stepOutcomes, [signal.step]: inTime ? 'succeeded' : 'succeededAfterGivenUp' },
        compensationStack: push ? pushCompensationOf(index, context, signal.step) : context.compensationStack,
      };
    }
    case 'stepFailed': {
      const failure = { step: signal.step, code: signal.code, reason: signal.reason };
      return {
        ...context,
        awaitingStep: null,
        stepOutcomes: { ...context.stepOutcomes, [signal.step]: signal.compensate ? 'unknown' : 'failed' },
        compensationStack: signal.compensate
          ? pushCompensationOf(index, context, signal.step)
          : context.compensationStack,
        failure: signal.required ? (context.failure ?? failure) : context.failure,
        skippedSteps: signal.required ? context.skippedSteps : [...context.skippedSteps, failure],
      };
    }
    case 'compensationDone':
      return {
        ...context,
        runningCompensation: null,
        compensationStack: withoutLast(context.compensationStack, signal.compensation),
      };
    case 'compensationFailed':
      // It stays where it is: on top, unless a late success was pushed above it while it ran.
      return {
        ...context,
        runningCompensation: null,
        nextRounds: { ...context.nextRounds, [signal.compensation]: signal.round + 1 },
        manualReview: {
          compensation: signal.compensation,
          round: signal.round,
          reason: signal.reason,
          returnTo:
            reviewReturnsTo === 'unchanged' ? (context.manualReview?.returnTo ?? 'COMPENSATING') : reviewReturnsTo,
        },
      };
    case 'cancellationRequested':
      return { ...context, cancellation: { reason: signal.reason, requestedAt: at.toISOString() } };
    case 'reviewRetried':
      return { ...context, manualReview: null };
    case 'reviewResolved':
      return resolve(context, signal.note, signal.resolvedBy, at.toISOString());
  }
}

function pushCompensationOf(index: SagaIndex, context: SagaContext, step: ForwardStepName) {
  const compensation = index.stepByName.get(step)!.compensation;
  return compensation ? [...context.compensationStack, compensation.name] : context.compensationStack;
}

/**
 * The operator did by hand what was left to undo. Back to COMPLETED only the failed compensation
 * is taken over; otherwise the whole rest of the stack is. A compensation still running stays.
 * A forward step still in flight is given up: should it succeed after all, it is compensated.
 */
function resolve(context: SagaContext, note: string, resolvedBy: string, resolvedAt: string): SagaContext {
  const review = context.manualReview!;
  const running = context.runningCompensation?.compensation;
  const backToCompleted = review.returnTo === 'COMPLETED';
  const givenUp = context.awaitingStep;
  return {
    ...context,
    awaitingStep: null,
    stepOutcomes: givenUp ? { ...context.stepOutcomes, [givenUp]: 'failed' } : context.stepOutcomes,
    compensationStack: backToCompleted
      ? withoutLast(context.compensationStack, review.compensation)
      : context.compensationStack.filter((compensation) => compensation === running),
    manualReview: null,
    resolution: {
      note,
      resolvedBy,
      resolvedAt,
      compensationsLeft: backToCompleted
        ? [review.compensation]
        : context.compensationStack.filter((compensation) => compensation !== running),
    },
  };
}

/** Starts the compensation on top of the stack, at the round it is due. */
export function startTopCompensation(context: SagaContext): SagaContext {
  const top = context.compensationStack.at(-1);
  if (top === undefined) return context;
  return { ...context, runningCompensation: { compensation: top, round: context.nextRounds[top] ?? 0 } };
}

/** Unwinding waits for whatever is in flight, so it stays last in, first out. */
export const unwindingIsOver = (context: SagaContext) =>
  context.awaitingStep === null && context.runningCompensation === null && context.compensationStack.length === 0;

export const unwindingCanContinue = (context: SagaContext) =>
  context.awaitingStep === null && context.runningCompensation === null && context.compensationStack.length > 0;

/**
 * Outside unwinding only compensations of late successes run, one at a time, never the one an
 * operator is reviewing.
 */
export function canCompensateInBackground(index: SagaIndex, context: SagaContext): boolean {
  const top = context.compensationStack.at(-1);
  if (top === undefined || context.runningCompensation !== null || top === context.manualReview?.compensation) {
    return false;
  }
  const step = index.stepByCompensation.get(top);
  return step !== undefined && context.stepOutcomes[step.name] === 'succeededAfterGivenUp';
}
