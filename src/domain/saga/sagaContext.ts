import type { CompensationDefinition, SagaDefinition, SagaStepDefinition } from './sagaDefinition';
import type { CompensationName, ForwardStepName } from './sagaVocabulary';

/**
 * The saga's memory, and what each signal (sagaSignals.ts) changes in it. The machine's graph says
 * where a signal leads; `record` says what it changes. The shape is stored in snapshots, so a
 * field renamed or reshaped here bumps the machine version (fulfillmentSaga.ts).
 */

/**
 * `failed`: rejected by its participant (nothing to undo), given up by an operator resolving the
 * saga while it ran, or, under version 1's rules, given up with its outcome unknown. `unknown`: given
 * up with no answer (STEP_TIMEOUT, RETRIES_EXHAUSTED) while the participant may have acted, so its
 * compensation was pushed then. `succeededAfterGivenUp`: its success came after it was given up; it
 * is compensated (by the compensation pushed then, for an `unknown` step).
 */
export type StepOutcome = 'succeeded' | 'failed' | 'unknown' | 'succeededAfterGivenUp';

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
  /**
   * The machine version that started the saga, whose rules decide it to its end. Absent from the
   * snapshots version 1 kept: restoring one fills it in.
   */
  machineVersion: number;
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

export type SagaStartInput = Readonly<{ sagaId: string; orderId: string; startedAt: string; machineVersion: number }>;

export function initialContext(
  definition: SagaDefinition,
  { sagaId, orderId, startedAt, machineVersion }: SagaStartInput,
): SagaContext {
  return {
    sagaId,
    orderId,
    machineVersion,
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
  stepByName: ReadonlyMap<ForwardStepName, SagaStepDefinition>;
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
    stepByName: new Map(steps.map((step) => [step.name, step])),
    stepBySuccess: new Map(steps.map((step) => [step.succeededOn, step])),
    stepByFailure: new Map(steps.map((step) => [step.failedOn, step])),
    compensationByDone: new Map(compensations.map((compensation) => [compensation.completedOn, compensation])),
    compensationByName: new Map(compensations.map((compensation) => [compensation.name, compensation])),
    stepByCompensation: new Map(undoable.map((step) => [step.compensation!.name, step])),
  };
}

export function withoutLast<T>(values: readonly T[], value: T): readonly T[] {
  const at = values.lastIndexOf(value);
  return at < 0 ? values : [...values.slice(0, at), ...values.slice(at + 1)];
}

/** The job the saga waits for: the forward step in flight first, else the compensation running, else the one under review. */
export function currentStepOf(context: SagaContext) {
  return (
    context.awaitingStep ?? context.runningCompensation?.compensation ?? context.manualReview?.compensation ?? null
  );
}
