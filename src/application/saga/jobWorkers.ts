import { streamName, type SagaCompensationFailed } from '../../domain/events';
import { jobIdOf, type CompensationJob, type FulfillmentJob, type JobHandlers, type StepJob } from '../ports/jobQueue';
import { runCompensationJob } from './compensationJob';
import { fulfillmentSteps } from './fulfillmentSteps';
import { noJobMetrics, type JobWorkerDependencies } from './jobDependencies';
import { compensationFailedEventId, stepOutcomeEventId } from './sagaEventIds';
import { runStepJob } from './stepJob';
import { upgradeLegacyJob } from './legacyJobs';
import { jobEvent } from './workerEvents';

/**
 * The queue's handlers for the saga's jobs: forward steps and compensations. Every job reports its
 * outcome as an event, never to the saga directly; the reactor reads it from the log like any other
 * input.
 */
export function createJobHandlers(dependencies: JobWorkerDependencies): JobHandlers {
  const metrics = dependencies.metrics ?? noJobMetrics;
  const loggerFor = (job: FulfillmentJob) =>
    dependencies.logger.child({ correlationId: job.sagaId, sagaId: job.sagaId, jobId: jobIdOf(job) });

  const handle: JobHandlers['handle'] = async (queued, { attempt }) => {
    if (attempt > 1) metrics.jobRetried(queued.kind, queued.name);
    const job = await upgradeLegacyJob(dependencies.eventStore, dependencies.definition, queued);
    if (!job) {
      loggerFor(queued).info({ kind: queued.kind }, 'a job of a kind this version no longer sends was dropped');
      return;
    }
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      if (job.kind === 'step') {
        const result = await runStepJob(dependencies, job);
        metrics.stepDuration(job.name, result, seconds());
        loggerFor(job).debug({ step: job.name, result, attempt }, `step ${job.name} ${result}`);
      } else {
        await runCompensationJob(dependencies, job);
        metrics.compensationDuration(job.name, 'succeeded', seconds());
        loggerFor(job).debug({ compensation: job.name, round: job.round, attempt }, `compensation ${job.name} done`);
      }
    } catch (error) {
      if (job.kind === 'step') metrics.stepDuration(job.name, 'error', seconds());
      else metrics.compensationDuration(job.name, 'error', seconds());
      loggerFor(job).warn(
        { err: error, kind: job.kind, name: job.name, attempt },
        `${job.kind} ${job.name} failed on try ${attempt}`,
      );
      throw error;
    }
  };

  /** A job that failed for good becomes an outcome the saga can act on; the job stays a dead letter. */
  const onFailed: JobHandlers['onFailed'] = async (queued, error) => {
    metrics.jobFailed(queued.kind, queued.name);
    loggerFor(queued).error(
      { err: error, kind: queued.kind, name: queued.name },
      `${queued.kind} ${queued.name} failed for good: ${error.message}`,
    );
    const job = await upgradeLegacyJob(dependencies.eventStore, dependencies.definition, queued);
    if (job) await recordJobFailed(dependencies, job, error);
  };

  return { handle, onFailed };
}

type RecordingDependencies = Pick<JobWorkerDependencies, 'eventStore' | 'clock'>;

/**
 * The outcome of a job that failed for good, on the log: the step given up (RETRIES_EXHAUSTED), or
 * the compensation failed (the saga goes to MANUAL_REVIEW). Its event id is fixed by the job, so
 * recording it twice appends it once. The saga reconciler records it too, for a dead letter whose
 * `onFailed` could not.
 */
export async function recordJobFailed(dependencies: RecordingDependencies, job: FulfillmentJob, error: Error) {
  if (job.kind === 'step') await recordStepGivenUp(dependencies, job, error);
  else await recordCompensationFailed(dependencies, job, error);
}

async function recordStepGivenUp({ eventStore, clock }: RecordingDependencies, job: StepJob, error: Error) {
  const step = fulfillmentSteps[job.name];
  const failure = step.givenUp(job, 'RETRIES_EXHAUSTED', `${job.name} kept failing: ${error.message}`);
  const event = jobEvent(job, failure, stepOutcomeEventId(job.sagaId, job.name, 'rejected'), clock);
  await eventStore.appendToStream(step.stream(job.orderId), [event], { expectedRevision: 'any' });
}

async function recordCompensationFailed(
  { eventStore, clock }: RecordingDependencies,
  job: CompensationJob,
  error: Error,
) {
  const { sagaId, orderId, name: compensation, round } = job;
  const failure: SagaCompensationFailed = {
    type: 'SagaCompensationFailed',
    data: { sagaId, orderId, compensation, round, reason: error.message },
  };
  const event = jobEvent(job, failure, compensationFailedEventId(sagaId, compensation, round), clock);
  await eventStore.appendToStream(streamName.saga(sagaId), [event], { expectedRevision: 'any' });
}
