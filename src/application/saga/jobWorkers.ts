import { streamName, type SagaCompensationFailed } from '../../domain/events';
import {
  jobIdOf,
  RetryLaterError,
  type CompensationJob,
  type FulfillmentJob,
  type JobHandlers,
  type StepJob,
} from '../ports/jobQueue';
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
  /** A try that did not count (see JobWorkerDependencies.retryLater), or undefined. */
  const deferral = (job: FulfillmentJob, error: unknown) =>
    error instanceof RetryLaterError ? error : dependencies.retryLater?.(job, asError(error));

  const handle: JobHandlers['handle'] = async (queued, { attempt }) => {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    let job: FulfillmentJob | undefined = queued;
    try {
      job = await upgradeLegacyJob(dependencies.eventStore, dependencies.definition, queued);
      if (!job) {
        loggerFor(queued).info({ kind: queued.kind }, 'a job of a kind this version no longer sends was dropped');
        return;
      }
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
      const ran = job ?? queued;
      const later = deferral(ran, error);
      const outcome = later ? 'deferred' : 'error';
      if (ran.kind === 'step') metrics.stepDuration(ran.name, outcome, seconds());
      else metrics.compensationDuration(ran.name, outcome, seconds());
      if (later) {
        loggerFor(ran).debug(
          { err: error, kind: ran.kind, name: ran.name, attempt, reason: later.reason, delayMs: later.delayMs },
          `${ran.kind} ${ran.name} deferred, try ${attempt} not spent: ${later.message}`,
        );
        throw later;
      }
      metrics.jobRetried(ran.kind, ran.name);
      loggerFor(ran).warn(
        { err: error, kind: ran.kind, name: ran.name, attempt },
        `${ran.kind} ${ran.name} failed on try ${attempt}`,
      );
      throw error;
    }
  };

  /**
   * A job that failed for good becomes an outcome the saga can act on; the job stays a dead letter.
   * If the outcome cannot be recorded because our storage is away, the give-up is deferred (the
   * queue runs the last try again later) rather than left as a dead letter the saga never heard of.
   */
  const onFailed: JobHandlers['onFailed'] = async (queued, error) => {
    try {
      const job = await upgradeLegacyJob(dependencies.eventStore, dependencies.definition, queued);
      if (job) await recordJobFailed(dependencies, job, error);
    } catch (recording) {
      const later = deferral(queued, recording);
      if (later) {
        loggerFor(queued).debug(
          { err: recording, kind: queued.kind, name: queued.name, reason: later.reason },
          `${queued.kind} ${queued.name} failed for good, but that could not be recorded: its last try is deferred`,
        );
        throw later;
      }
      reportGivenUp(queued, error);
      throw recording;
    }
    reportGivenUp(queued, error);
  };

  const reportGivenUp = (job: FulfillmentJob, error: Error) => {
    metrics.jobFailed(job.kind, job.name);
    loggerFor(job).error(
      { err: error, kind: job.kind, name: job.name },
      `${job.kind} ${job.name} failed for good: ${error.message}`,
    );
  };

  return { handle, onFailed };
}

const asError = (thrown: unknown): Error => (thrown instanceof Error ? thrown : new Error(String(thrown)));

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
