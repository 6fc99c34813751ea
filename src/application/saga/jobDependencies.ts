import type { Clock } from '../ports/clock';
import type { EventStore } from '../ports/eventStore';
import type { FulfillmentJob, RetryLaterError } from '../ports/jobQueue';
import type { Logger } from '../ports/logger';
import type { SagaDefinition } from '../../domain/saga';
import type { ForwardStepName, CompensationName } from '../../domain/saga/sagaVocabulary';
import type { SagaParticipants } from './fulfillmentSteps';

export type { SagaParticipants } from './fulfillmentSteps';

/** What the job workers report, for the metrics; every method optional to implement as a no-op. */
export type JobMetrics = Readonly<{
  stepDuration(step: ForwardStepName, outcome: string, seconds: number): void;
  compensationDuration(compensation: CompensationName, outcome: string, seconds: number): void;
  /** A try failed and counted against the job's attempts (the last one included). */
  jobRetried(kind: string, name: string): void;
  jobFailed(kind: string, name: string): void;
}>;

export const noJobMetrics: JobMetrics = {
  stepDuration: () => undefined,
  compensationDuration: () => undefined,
  jobRetried: () => undefined,
  jobFailed: () => undefined,
};

export type JobWorkerDependencies = Readonly<{
  eventStore: EventStore;
  /** The saga the jobs belong to: what a job queued by an older version is completed from. */
  definition: SagaDefinition;
  participants: SagaParticipants;
  clock: Clock;
  logger: Logger;
  metrics?: JobMetrics;
  /**
   * Says whether a try that threw did not count: it did not reach the participant (its circuit
   * breaker was open), or our own storage was away. Such a try is deferred (RetryLaterError)
   * rather than spent. The worker role supplies it; what it knows of breakers and database errors
   * stays in infrastructure. Without it every failed try counts.
   */
  retryLater?: (job: FulfillmentJob, error: Error) => RetryLaterError | undefined;
}>;
