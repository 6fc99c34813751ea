import type { RetryPolicy } from './sagaDefinition';
import type { CompensationName, ForwardStepName } from './sagaVocabulary';

/**
 * What the saga wants done, as data. The machine never runs these; the reactor turns each into a
 * job with a deterministic id (so a redelivered intent is the same job, not a second one).
 */
export type SagaIntent =
  /** Run a forward step against its participant. */
  | Readonly<{ type: 'runStep'; step: ForwardStepName; retry: RetryPolicy }>
  /** A durable delayed job that fails the step with STEP_TIMEOUT if it has no outcome by then. */
  | Readonly<{ type: 'scheduleDeadline'; step: ForwardStepName; delayMs: number }>
  /** Undo a step. `round` grows with each operator retry, so a retried compensation is a new job. */
  | Readonly<{ type: 'runCompensation'; compensation: CompensationName; round: number; retry: RetryPolicy }>;
