import type { FulfillmentJob } from '../ports/jobQueue';
import type { JobWorkerDependencies } from './jobDependencies';
import { stepOutcomeEventId } from './sagaEventIds';
import { stepFailedEvent, stepStreams } from './stepStreams';
import { jobEvent } from './workerEvents';

type DeadlineJob = Extract<FulfillmentJob, { kind: 'deadline' }>;

/**
 * A step's deadline has passed. If the step has reported nothing, it counts as failed
 * (STEP_TIMEOUT); the failure shares its id with any other failure of the step, so the step fails
 * at most once. A success that still arrives later is the saga's to compensate.
 */
export async function runDeadlineJob(
  { eventStore, clock }: JobWorkerDependencies,
  job: DeadlineJob,
): Promise<'timedOut' | 'settled'> {
  const { stream, succeeded, failed } = stepStreams[job.name];
  const events = await eventStore.readStream(stream(job.orderId));
  if (events.some((event) => event.type === succeeded || event.type === failed)) return 'settled';
  const timeout = stepFailedEvent(job.name, job, 'STEP_TIMEOUT', `${job.name} reported no outcome before its deadline`);
  const event = jobEvent(job, timeout, stepOutcomeEventId(job.sagaId, job.name, 'rejected'), clock);
  await eventStore.appendToStream(stream(job.orderId), [event], { expectedRevision: 'any' });
  return 'timedOut';
}
