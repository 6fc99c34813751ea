import type { CompensationDefinition, SagaDefinition, SagaStepDefinition } from './sagaDefinition';
import type { SagaInput, SagaMachineEvent } from './sagaInput';
import type { CompensationName, ForwardStepName } from './sagaVocabulary';

/**
 * The saga's memory, and the pure rules that read an input against it. The machine's graph says
 * where an input leads; these functions say what the input means (`classifyInput`) and what it
 * changes (`absorbInput`). Guards and actions call the same two functions, so they cannot disagree.
 *
 * Idempotency is by meaning: each step keeps the first outcome it saw, a compensation outcome
 * counts only for the compensation running (at the round running), an operator's retry only for
 * the review it names. Anything else leaves the context untouched.
 */

/**
 * `failed` covers a step given up (a timeout, or an operator resolving the saga while it ran);
 * `succeededAfterGivenUp`: its success came after that, and is compensated.
 */
export type StepOutcome = 'succeeded' | 'failed' | 'succeededAfterGivenUp';

export type RunningCompensation = Readonly<{ compensation: CompensationName; round: number }>;

/** Where an operator's retry or resolution leads: back to unwinding, or back to COMPLETED. */
export type ReviewReturn = 'COMPENSATING' | 'COMPLETED';

export type ManualReview = Readonly<{
  compensation: CompensationName;
  /** The round that failed; the retry runs round + 1. */
  round: number;
  reason: string;
  returnTo: ReviewReturn;
}>;

export type StepFailure = Readonly<{ step: ForwardStepName; code: string; reason: string }>;

export type SagaContext = Readonly<{
  sagaId: string;
  orderId: string;
  startedAt: string;
  /** When the saga last reached COMPLETED or CANCELLED. */
  endedAt: string | null;
  /** The forward step in flight: its outcome is awaited. */
  awaitingStep: ForwardStepName | null;
  /** The compensation in flight; at most one runs at a time. */
  runningCompensation: RunningCompensation | null;
  /** Bottom to top. Compensations of succeeded steps still to run, the running one included. */
  compensationStack: readonly CompensationName[];
  stepOutcomes: Readonly<Partial<Record<ForwardStepName, StepOutcome>>>;
  /** The round a compensation's next run uses; absent means 0. */
  nextRounds: Readonly<Partial<Record<CompensationName, number>>>;
  /** The first required step that failed. */
  failure: StepFailure | null;
  /** Optional steps that failed; the saga went on without them. */
  skippedSteps: readonly StepFailure[];
  cancellation: Readonly<{ reason: string | null; requestedAt: string }> | null;
  manualReview: ManualReview | null;
  resolution: Readonly<{
    note: string;
    resolvedBy: string;
    resolvedAt: string;
    /** What the operator took over by hand. */
    compensationsLeft: readonly CompensationName[];
  }> | null;
}>;

export type SagaStartInput = Readonly<{ sagaId: string; orderId: string; startedAt: string }>;

export function initialContext(
  definition: SagaDefinition,
  { sagaId, orderId, startedAt }: SagaStartInput,
): SagaContext {
  return {
    sagaId,
    orderId,
    startedAt,
    endedAt: null,
    awaitingStep: definition.steps[0].name,
    runningCompensation: null,
    compensationStack: [definition.initialCompensation.name],
    stepOutcomes: {},
    nextRounds: {},
    failure: null,
    skippedSteps: [],
    cancellation: null,
    manualReview: null,
    resolution: null,
  };
}

/** Lookups by event type and name, built once per definition. */
export type SagaIndex = Readonly<{
  definition: SagaDefinition;
  stepBySuccess: ReadonlyMap<string, SagaStepDefinition>;
  stepByFailure: ReadonlyMap<string, SagaStepDefinition>;
  compensationByDone: ReadonlyMap<string, CompensationDefinition>;
  compensationByName: ReadonlyMap<CompensationName, CompensationDefinition>;
  /** The step a compensation undoes; the initial compensation has none. */
  stepByCompensation: ReadonlyMap<CompensationName, SagaStepDefinition>;
}>;

const indexes = new WeakMap<SagaDefinition, SagaIndex>();

export function indexSaga(definition: SagaDefinition): SagaIndex {
  let index = indexes.get(definition);
  if (!index) indexes.set(definition, (index = buildIndex(definition)));
  return index;
}

function buildIndex(definition: SagaDefinition): SagaIndex {
  const { steps, initialCompensation } = definition;
  const undoable = steps.filter((step) => step.compensation !== null);
  const compensations = [initialCompensation, ...undoable.map((step) => step.compensation!)];
  return {
    definition,
    stepBySuccess: new Map(steps.map((step) => [step.succeededOn, step])),
    stepByFailure: new Map(steps.map((step) => [step.failedOn, step])),
    compensationByDone: new Map(compensations.map((compensation) => [compensation.completedOn, compensation])),
    compensationByName: new Map(compensations.map((compensation) => [compensation.name, compensation])),
    stepByCompensation: new Map(undoable.map((step) => [step.compensation!.name, step])),
  };
}

/** What an input means for a saga with this context, before the state is taken into account. */
export type InputMeaning =
  | Readonly<{ kind: 'awaitedSuccess'; step: SagaStepDefinition }>
  | Readonly<{ kind: 'lateSuccess'; step: SagaStepDefinition }>
  | Readonly<{ kind: 'awaitedFailure'; step: SagaStepDefinition; code: string; reason: string }>
  | Readonly<{ kind: 'runningCompensationDone'; compensation: CompensationName }>
  | Readonly<{ kind: 'runningCompensationFailed'; compensation: CompensationName; round: number; reason: string }>
  | Readonly<{ kind: 'cancellationRequested'; reason: string | null }>
  | Readonly<{ kind: 'retryOfReview' }>
  | Readonly<{ kind: 'resolution'; note: string; resolvedBy: string }>
  | Readonly<{ kind: 'noChange'; reason: string }>;

export function classifyInput(index: SagaIndex, context: SagaContext, input: SagaInput): InputMeaning {
  const succeeded = index.stepBySuccess.get(input.type);
  if (succeeded) return classifySuccess(context, succeeded);
  const failed = index.stepByFailure.get(input.type);
  if (failed) {
    const { code, reason } = input.data as Readonly<{ code: string; reason: string }>;
    return classifyFailure(context, failed, code, reason);
  }
  const done = index.compensationByDone.get(input.type);
  if (done) {
    return context.runningCompensation?.compensation === done.name
      ? { kind: 'runningCompensationDone', compensation: done.name }
      : { kind: 'noChange', reason: `${done.name} is not running: duplicate or stale ${input.type}` };
  }
  switch (input.type) {
    case 'OrderCancellationRequested':
      return context.cancellation
        ? { kind: 'noChange', reason: 'cancellation already requested' }
        : { kind: 'cancellationRequested', reason: input.data.reason };
    case 'SagaCompensationFailed': {
      const { compensation, round, reason } = input.data;
      const running = context.runningCompensation;
      return running?.compensation === compensation && running.round === round
        ? { kind: 'runningCompensationFailed', compensation, round, reason }
        : { kind: 'noChange', reason: `${compensation} round ${round} is not running: duplicate or stale failure` };
    }
    case 'SagaRetryRequested': {
      const review = context.manualReview;
      return review?.compensation === input.data.compensation && review.round === input.data.round
        ? { kind: 'retryOfReview' }
        : {
            kind: 'noChange',
            reason: `no manual review of ${input.data.compensation} round ${input.data.round} is open`,
          };
    }
    case 'SagaResolvedManually':
      return context.manualReview
        ? { kind: 'resolution', note: input.data.note, resolvedBy: input.data.resolvedBy }
        : { kind: 'noChange', reason: 'no manual review is open' };
    default:
      return { kind: 'noChange', reason: `${input.type} is not an input of saga ${index.definition.name}` };
  }
}

function classifySuccess(context: SagaContext, step: SagaStepDefinition): InputMeaning {
  const seen = context.stepOutcomes[step.name];
  if (seen === undefined && context.awaitingStep === step.name) return { kind: 'awaitedSuccess', step };
  if (seen === 'failed') return { kind: 'lateSuccess', step };
  return {
    kind: 'noChange',
    reason: seen === undefined ? `${step.name} has not started` : `${step.name} already ${seen}: duplicate success`,
  };
}

function classifyFailure(context: SagaContext, step: SagaStepDefinition, code: string, reason: string): InputMeaning {
  const seen = context.stepOutcomes[step.name];
  if (seen === undefined && context.awaitingStep === step.name) return { kind: 'awaitedFailure', step, code, reason };
  return {
    kind: 'noChange',
    reason: seen === undefined ? `${step.name} has not started` : `${step.name} already ${seen}: first outcome wins`,
  };
}

/** The context after the input, whatever the state; the graph decides what happens next. */
export function absorbInput(index: SagaIndex, context: SagaContext, event: SagaMachineEvent): SagaContext {
  const meaning = classifyInput(index, context, event);
  switch (meaning.kind) {
    case 'awaitedSuccess':
    case 'lateSuccess':
      return {
        ...context,
        awaitingStep: meaning.kind === 'awaitedSuccess' ? null : context.awaitingStep,
        stepOutcomes: {
          ...context.stepOutcomes,
          [meaning.step.name]: meaning.kind === 'awaitedSuccess' ? 'succeeded' : 'succeededAfterGivenUp',
        },
        compensationStack: meaning.step.compensation
          ? [...context.compensationStack, meaning.step.compensation.name]
          : context.compensationStack,
      };
    case 'awaitedFailure': {
      const failure = { step: meaning.step.name, code: meaning.code, reason: meaning.reason };
      return {
        ...context,
        awaitingStep: null,
        stepOutcomes: { ...context.stepOutcomes, [meaning.step.name]: 'failed' },
        failure: meaning.step.required ? (context.failure ?? failure) : context.failure,
        skippedSteps: meaning.step.required ? context.skippedSteps : [...context.skippedSteps, failure],
      };
    }
    case 'runningCompensationDone':
      return {
        ...context,
        runningCompensation: null,
        compensationStack: withoutLast(context.compensationStack, meaning.compensation),
      };
    case 'runningCompensationFailed':
      // It stays where it is: on top, unless a late success was pushed above it while it ran.
      return {
        ...context,
        runningCompensation: null,
        nextRounds: { ...context.nextRounds, [meaning.compensation]: meaning.round + 1 },
        manualReview: {
          compensation: meaning.compensation,
          round: meaning.round,
          reason: meaning.reason,
          returnTo: context.manualReview?.returnTo ?? 'COMPENSATING',
        },
      };
    case 'cancellationRequested':
      return { ...context, cancellation: { reason: meaning.reason, requestedAt: event.at.toISOString() } };
    case 'retryOfReview':
      return { ...context, manualReview: null };
    case 'resolution':
      return resolve(context, meaning.note, meaning.resolvedBy, event.at.toISOString());
    case 'noChange':
      return context;
  }
}

/**
 * The operator did by hand what was left to undo. Back to COMPLETED only the failed compensation
 * is taken over; otherwise the whole rest of the stack is. A compensation still running stays.
 */
function resolve(context: SagaContext, note: string, resolvedBy: string, resolvedAt: string): SagaContext {
  const review = context.manualReview!;
  const running = context.runningCompensation?.compensation;
  const keep =
    review.returnTo === 'COMPLETED'
      ? withoutLast(context.compensationStack, review.compensation)
      : context.compensationStack.filter((compensation) => compensation === running);
  const compensationsLeft =
    review.returnTo === 'COMPLETED' ? [review.compensation] : context.compensationStack.filter((c) => c !== running);
  // A forward step still in flight is given up: should it succeed after all, it is compensated.
  const givenUp = context.awaitingStep;
  return {
    ...context,
    awaitingStep: null,
    stepOutcomes: givenUp ? { ...context.stepOutcomes, [givenUp]: 'failed' } : context.stepOutcomes,
    compensationStack: keep,
    manualReview: null,
    resolution: { note, resolvedBy, resolvedAt, compensationsLeft },
  };
}

export function withReviewReturn(context: SagaContext, returnTo: ReviewReturn | 'unchanged'): SagaContext {
  if (returnTo === 'unchanged' || !context.manualReview) return context;
  return { ...context, manualReview: { ...context.manualReview, returnTo } };
}

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

/** The job the saga waits for: the forward step in flight first, else the compensation running, else the one under review. */
export function currentStepOf(context: SagaContext) {
  return (
    context.awaitingStep ?? context.runningCompensation?.compensation ?? context.manualReview?.compensation ?? null
  );
}

function withoutLast<T>(values: readonly T[], value: T): readonly T[] {
  const at = values.lastIndexOf(value);
  return at < 0 ? values : [...values.slice(0, at), ...values.slice(at + 1)];
}
