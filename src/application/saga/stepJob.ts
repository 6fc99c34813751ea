import { ConcurrencyError } from '../errors';
import type { StepJob } from '../ports/jobQueue';
import { fulfillmentSteps, type StepAnswer, type StepOutcomeEvent } from './fulfillmentSteps';
import type { JobWorkerDependencies } from './jobDependencies';
import { stepOutcomeEventId } from './sagaEventIds';
import { jobEvent } from './workerEvents';

/** What a step job did: the outcome it recorded, or nothing because the step was compensated first. */
export type StepJobResult = 'succeeded' | 'rejected' | 'timedOut' | 'alreadyCompensated';

/**
 * Runs a forward step: asks the participant and records its answer on the step's stream. A
 * business rejection is recorded at once (never retried); a transient error is thrown for the
 * queue to retry.
 *
 * The deadline is start-to-close and belongs to this try: it starts when the participant is asked,
 * so time in the queue, or with a worker that died, never counts. A participant that has not
 * answered by then fails the step with STEP_TIMEOUT, and the saga moves on; the job then keeps
 * waiting for the answer, so that a success arriving after all is recorded too (the saga
 * compensates it) — and should this process die meanwhile, the queue runs the job again and the
 * participant, idempotent, answers again.
 *
 * Every try asks the participant, even of a step already settled: the call is idempotent and
 * replays the first answer (whose event id is the same, so appending it again is a no-op), or finds
 * the compensation's tombstone and does nothing. A redelivered job thereby also recovers a success
 * whose report was lost with a worker that died between the two.
 */
export async function runStepJob(dependencies: JobWorkerDependencies, job: StepJob): Promise<StepJobResult> {
  const { participants, logger } = dependencies;
  const step = fulfillmentSteps[job.name];
  const asked: Promise<StepAnswer> = step.run(participants, job.request);
  const answer = await beforeDeadline(asked, job.deadlineMs);
  if (answer !== deadlinePassed) return record(dependencies, job, answer);

  const reason = `${job.name} had no answer from its participant within its ${job.deadlineMs} ms deadline`;
  logger.warn({ sagaId: job.sagaId, step: job.name, deadlineMs: job.deadlineMs }, reason);
  await appendOutcome(dependencies, job, 'rejected', step.givenUp(job, 'STEP_TIMEOUT', reason));
  const late = await asked.catch((error: unknown) => {
    logger.warn({ err: error, sagaId: job.sagaId, step: job.name }, `${job.name} failed after its deadline`);
    return undefined;
  });
  if (late?.outcome === 'succeeded') await appendOutcome(dependencies, job, 'succeeded', late.event);
  return 'timedOut';
}

async function record(dependencies: JobWorkerDependencies, job: StepJob, answer: StepAnswer): Promise<StepJobResult> {
  if (answer.outcome === 'alreadyCompensated') return answer.outcome;
  await appendOutcome(dependencies, job, answer.outcome, answer.event);
  return answer.outcome;
}

/**
 * Appends an outcome to the step's stream, first as its first event (the common case, which spares
 * the store a read of the stream's revision), else after whatever is there: a timeout recorded
 * before this late success, or a compensation's report. The event id is the same for every try.
 */
async function appendOutcome(
  { eventStore, clock }: JobWorkerDependencies,
  job: StepJob,
  kind: 'succeeded' | 'rejected',
  outcome: StepOutcomeEvent,
): Promise<void> {
  const stream = fulfillmentSteps[job.name].stream(job.orderId);
  const event = jobEvent(job, outcome, stepOutcomeEventId(job.sagaId, job.name, kind), clock);
  try {
    await eventStore.appendToStream(stream, [event], { expectedRevision: 'no_stream' });
  } catch (error) {
    if (!(error instanceof ConcurrencyError)) throw error;
    await eventStore.appendToStream(stream, [event], { expectedRevision: 'any' });
  }
}

const deadlinePassed = Symbol('deadline passed');

/** The answer, or `deadlinePassed` if it takes longer than `ms`. The call itself goes on. */
function beforeDeadline<T>(answer: Promise<T>, ms: number): Promise<T | typeof deadlinePassed> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof deadlinePassed>((resolve) => {
    timer = setTimeout(() => resolve(deadlinePassed), ms);
  });
  return Promise.race([answer, deadline]).finally(() => clearTimeout(timer));
}
