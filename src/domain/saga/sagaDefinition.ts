import { FulfillmentError } from '../errors';
import type { CompensationName, ForwardStepName, SagaState } from './sagaVocabulary';
import type { CompensationDoneInput, StepFailedInput, StepSucceededInput } from './sagaInput';

/**
 * A saga declared from its steps. The machine (sagaMachine.ts) is generated from this, so adding a
 * step is adding an entry here, not editing a graph.
 */

/** Same shape as the job queue's RetryPolicy; declared here because the domain imports nothing outside itself. */
export type RetryPolicy = Readonly<{
  /** Total tries, the first included. */
  attempts: number;
  /** Exponential backoff base: try n waits about base × 2^(n-1). */
  backoffMs: number;
}>;

export type PendingSagaState = Extract<SagaState, `PENDING_${string}`>;

export type CompensationDefinition = Readonly<{
  name: CompensationName;
  /** The event a participant appends once the compensation has run. */
  completedOn: CompensationDoneInput['type'];
  retry: RetryPolicy;
}>;

export type SagaStepDefinition = Readonly<{
  name: ForwardStepName;
  /** The saga's state while this step runs. */
  state: PendingSagaState;
  succeededOn: StepSucceededInput['type'];
  failedOn: StepFailedInput['type'];
  /** Pushed on the stack when the step succeeds; null for a step that cannot be undone. */
  compensation: CompensationDefinition | null;
  /**
   * Start-to-close: how long each try may have the participant's attention. A try that has not
   * answered by then fails the step with STEP_TIMEOUT (its success, should it come after all, is
   * compensated). Time the job waits in a queue or lies with a worker that died does not count.
   */
  deadlineMs: number;
  retry: RetryPolicy;
  /** An optional step's failure is recorded and the saga goes on without compensating. */
  required: boolean;
}>;

/** What differs between machine versions of one definition: the decisions, not the graph. */
export type SagaRules = Readonly<{
  /**
   * A required step given up with its outcome unknown (STEP_TIMEOUT, RETRIES_EXHAUSTED: the
   * participant may have acted) pushes its own compensation, so unwinding sends it first and the
   * saga is CANCELLED only once it is done; a success reported later pushes nothing more. False
   * (version 1 of the fulfillment saga): such a step counts as failed, and only a success reported
   * later is compensated.
   */
  compensateUnknownOutcomes: boolean;
}>;

export type SagaDefinition = Readonly<{
  name: string;
  /** The version new sagas start with, stored with each saga (SagaStarted, kept snapshots). */
  machineVersion: number;
  /**
   * The rules of every machine version this definition runs: the current one, and the earlier ones
   * whose sagas may still be in flight. A saga keeps the rules of the version that started it to its
   * end; a saga of a version not listed is refused, never guessed at.
   */
  versions: Readonly<Record<number, SagaRules>>;
  /** Pushed when the saga starts (OrderCreated pushes CancelOrder): the bottom of every stack. */
  initialCompensation: CompensationDefinition;
  steps: readonly [SagaStepDefinition, ...SagaStepDefinition[]];
}>;

export class SagaDefinitionError extends FulfillmentError {
  constructor(sagaName: string, problem: string) {
    super('SAGA_DEFINITION_INVALID', `Saga definition "${sagaName}" is invalid: ${problem}. Fix the declaration.`);
  }
}

/** Checks what the types cannot: every name, state and event type is used once. */
export function defineSaga<D extends SagaDefinition>(definition: D): D {
  const { name, machineVersion, steps, initialCompensation } = definition;
  if (!Number.isInteger(machineVersion) || machineVersion < 1) {
    throw new SagaDefinitionError(name, `machineVersion must be a positive integer, got ${machineVersion}`);
  }
  if (!rulesOf(definition, machineVersion)) {
    throw new SagaDefinitionError(name, `versions has no rules for machineVersion ${machineVersion}`);
  }
  const compensations = [
    initialCompensation,
    ...steps.flatMap((step) => (step.compensation ? [step.compensation] : [])),
  ];
  const duplicates = (values: readonly string[]) => values.filter((value, index) => values.indexOf(value) !== index);
  const clashes = [
    ...duplicates(steps.map((step) => step.name)),
    ...duplicates(steps.map((step) => step.state)),
    ...duplicates(compensations.map((compensation) => compensation.name)),
    ...duplicates([
      ...steps.flatMap((step) => [step.succeededOn, step.failedOn]),
      ...compensations.map((compensation) => compensation.completedOn),
    ]),
  ];
  if (clashes.length > 0)
    throw new SagaDefinitionError(name, `used more than once: ${[...new Set(clashes)].join(', ')}`);
  for (const step of steps) {
    if (!(step.deadlineMs > 0)) throw new SagaDefinitionError(name, `step ${step.name} needs a deadline above 0 ms`);
  }
  return definition;
}

/** The rules a saga of `machineVersion` is decided by; undefined for a version this definition does not run. */
export function rulesOf(definition: SagaDefinition, machineVersion: number): SagaRules | undefined {
  return Object.hasOwn(definition.versions, machineVersion) ? definition.versions[machineVersion] : undefined;
}
