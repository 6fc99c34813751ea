import type { CompensationJob } from '../ports/jobQueue';
import { fulfillmentCompensations } from './fulfillmentSteps';
import type { JobWorkerDependencies } from './jobDependencies';
import { compensationDoneEventId } from './sagaEventIds';
import { jobEvent } from './workerEvents';

/**
 * Undoes a step and records it on the step's stream. The participants are idempotent and the
 * event id is the same in every round, so a redelivered or operator-retried compensation that
 * had succeeded already appends nothing. Transient errors are thrown for the queue to retry.
 */
export async function runCompensationJob(
  { eventStore, participants, clock }: JobWorkerDependencies,
  job: CompensationJob,
): Promise<void> {
  const compensation = fulfillmentCompensations[job.name];
  const done = await compensation.run(participants, job);
  const event = jobEvent(job, done, compensationDoneEventId(job.sagaId, job.name), clock);
  await eventStore.appendToStream(compensation.stream(job.orderId), [event], { expectedRevision: 'any' });
}
