import type { RetryPolicy } from './sagaDefinition';
import type { CompensationName, ForwardStepName } from './sagaVocabulary';

/**
 * What the saga wants done, as data. The machine never runs these; the reactor turns each into a
 * job with a deterministic id (so a redelivered intent is the same job, not a second one).
 */
export type SagaIntent =
  /**
   * Run a forward step against its participant. `deadlineMs` is start-to-close: how long each try
   * may have the participant's attention before the step fails with STEP_TIMEOUT. Time the job
   * waits in a queue, or lies with a worker that died, does not count.
   */
  | Readonly<{ type: 'runStep'; step: ForwardStepName; deadlineMs: number; retry: RetryPolicy }>
  /** Undo a step. `round` grows with each operator retry, so a retried compensation is a new job. */
  | Readonly<{ type: 'runCompensation'; compensation: CompensationName; round: number; retry: RetryPolicy }>;
