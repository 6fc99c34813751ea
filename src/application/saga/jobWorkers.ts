import { streamName, type SagaCompensationFailed } from '../../domain/events';
import { jobIdOf, type FulfillmentJob, type JobHandlers } from '../ports/jobQueue';
import { runCompensationJob } from './compensationJob';
import { runDeadlineJob } from './deadlineJob';
import { noJobMetrics, type JobWorkerDependencies } from './jobDependencies';
import { compensationFailedEventId, stepOutcomeEventId } from './sagaEventIds';
import { runStepJob } from './stepJob';
import { stepFailedEvent, stepStreams } from './stepStreams';
import { jobEvent } from './workerEvents';

/**
 * The queue's handlers for the saga's jobs: forward steps, compensations and step deadlines.
 * Every job reports its outcome as an event, never to the saga directly; the reactor reads it
 * from the log like any other input.
 */
export function createJobHandlers(dependencies: JobWorkerDependencies): JobHandlers {
  const metrics = dependencies.metrics ?? noJobMetrics;
  const loggerFor = (job: FulfillmentJob) =>
    dependencies.logger.child({ correlationId: job.sagaId, sagaId: job.sagaId, jobId: jobIdOf(job) });

  const handle: JobHandlers['handle'] = async (job, { attempt }) => {
    const logger = loggerFor(job);
    if (attempt > 1) metrics.jobRetried(job.kind, job.name);
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      switch (job.kind) {
        case 'step': {
          const result = await runStepJob(dependencies, job);
          metrics.stepDuration(job.name, result, seconds());
          logger.debug({ step: job.name, result, attempt }, `step ${job.name} ${result}`);
          return;
        }
        case 'compensation':
          await runCompensationJob(dependencies, job);
          metrics.compensationDuration(job.name, 'succeeded', seconds());
          logger.debug({ compensation: job.name, round: job.round, attempt }, `compensation ${job.name} done`);
          return;
        case 'deadline': {
          const result = await runDeadlineJob(dependencies, job);
          if (result === 'timedOut') logger.warn({ step: job.name }, `step ${job.name} timed out`);
          return;
        }
      }
    } catch (error) {
      if (job.kind === 'step') metrics.stepDuration(job.name, 'error', seconds());
      if (job.kind === 'compensation') metrics.compensationDuration(job.name, 'error', seconds());
      logger.warn(
        { err: error, kind: job.kind, name: job.name, attempt },
        `${job.kind} ${job.name} failed on try ${attempt}`,
      );
      throw error;
    }
  };

  /** A job that failed for good becomes an outcome the saga can act on; the job stays a dead letter. */
  const onFailed: JobHandlers['onFailed'] = async (job, error) => {
    const { eventStore, clock } = dependencies;
    metrics.jobFailed(job.kind, job.name);
    loggerFor(job).error(
      { err: error, kind: job.kind, name: job.name },
      `${job.kind} ${job.name} failed for good: ${error.message}`,
    );
    switch (job.kind) {
      case 'step': {
        const failure = stepFailedEvent(
          job.name,
          job,
          'RETRIES_EXHAUSTED',
          `${job.name} kept failing: ${error.message}`,
        );
        const event = jobEvent(job, failure, stepOutcomeEventId(job.sagaId, job.name, 'rejected'), clock);
        await eventStore.appendToStream(stepStreams[job.name].stream(job.orderId), [event], {
          expectedRevision: 'any',
        });
        return;
      }
      case 'compensation': {
        const failure: SagaCompensationFailed = {
          type: 'SagaCompensationFailed',
          data: {
            sagaId: job.sagaId,
            orderId: job.orderId,
            compensation: job.name,
            round: job.round,
            reason: error.message,
          },
        };
        const event = jobEvent(job, failure, compensationFailedEventId(job.sagaId, job.name, job.round), clock);
        await eventStore.appendToStream(streamName.saga(job.sagaId), [event], { expectedRevision: 'any' });
        return;
      }
      case 'deadline':
        // The step stays pending: nothing can tell the saga it timed out. The dead letter says why.
        return;
    }
  };

  return { handle, onFailed };
}
