import type { CompensationName, ForwardStepName } from '../../domain/saga/sagaVocabulary';
import type { StepRequest } from './participants';

/**
 * The job queue port: BullMQ on Redis in production, an in-process queue on the embedded default.
 * Both pass one contract suite. Delivery is at least once; effects are made exactly once by
 * deterministic job ids here, idempotent participants behind the workers and deterministic ids of
 * the events the workers append.
 *
 * A job carries what its worker needs, so that running it reads nothing from the event store.
 */

type JobBase = Readonly<{
  sagaId: string;
  orderId: string;
  /** The event that made the saga send this job. */
  causationId: string;
  traceparent?: string;
}>;

/**
 * Run a forward step against its participant. `deadlineMs` is start-to-close: each try may have
 * the participant's attention that long before the step fails with STEP_TIMEOUT.
 */
export type StepJob = JobBase &
  Readonly<{ kind: 'step'; name: ForwardStepName; request: StepRequest; deadlineMs: number }>;

/**
 * Undo a step. `round` counts operator retries from MANUAL_REVIEW, so that a retried compensation
 * is a new job rather than a duplicate of the one that failed. `reason` says why the saga unwinds.
 */
export type CompensationJob = JobBase &
  Readonly<{ kind: 'compensation'; name: CompensationName; round: number; reason: string }>;

export type FulfillmentJob = StepJob | CompensationJob;

/** Deterministic and free of `:` (BullMQ rejects it): the same intent always maps to the same id. */
export function jobIdOf(job: FulfillmentJob): string {
  return job.kind === 'compensation' ? `${job.sagaId}-${job.name}-r${job.round}` : stepJobIdOf(job.sagaId, job.name);
}

/** A forward step's job id from the saga and the step alone (a step runs once per saga). */
export const stepJobIdOf = (sagaId: string, step: ForwardStepName): string => `${sagaId}-${step}`;

export type RetryPolicy = Readonly<{
  /** Total tries, the first included. */
  attempts: number;
  /** Exponential backoff base: try n waits about base × 2^(n-1), with jitter. */
  backoffMs: number;
}>;

export type EnqueueOptions = Readonly<{
  delayMs?: number;
  /** Overrides the queue's default retry policy for this job (a step's own policy). */
  retry?: RetryPolicy;
}>;

/** Thrown by a job handler for an error that retrying cannot fix (a business rejection). */
export class NonRetryableJobError extends Error {
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'NonRetryableJobError';
  }
}

/**
 * Thrown by a job handler for a try that must not count: it did not reach the participant (its
 * circuit breaker is open), or what it did could not be recorded because our own storage is away.
 * The queue runs the job again after `delayMs` without spending an attempt: the next run sees the
 * same `attempt`, and however often a job is deferred it never becomes a dead letter for it. Not an
 * interruption either (those are counted apart, for a job that keeps killing its process).
 *
 * Thrown by `onFailed` (the give-up could not be recorded), it defers the job's last try, which
 * then runs again, and `onFailed` after it if it fails again: a failure report is never dropped.
 */
export class RetryLaterError extends Error {
  constructor(
    /** Why, as a metric label: e.g. `circuit_open`, `storage_unavailable`. */
    readonly reason: string,
    readonly delayMs: number,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'RetryLaterError';
  }
}

export type JobHandlers = Readonly<{
  /**
   * Runs the job. Throwing retries it with backoff, unless the error is a NonRetryableJobError
   * (no retry) or a RetryLaterError (run again later, the attempt not spent). `attempt` counts the
   * tries that counted, this one included: deferred tries are not in it.
   */
  handle(job: FulfillmentJob, context: Readonly<{ attempt: number }>): Promise<void>;
  /**
   * Called once when a job has failed for good (retries exhausted, or a non-retryable error the
   * handler did not turn into an outcome itself). The job then stays visible as a dead letter.
   * A RetryLaterError thrown here defers the last try instead (see RetryLaterError).
   */
  onFailed(job: FulfillmentJob, error: Error): Promise<void>;
}>;

export type DeadLetter = Readonly<{
  jobId: string;
  job: FulfillmentJob;
  error: string;
  attempts: number;
  failedAt: string;
}>;

export type QueueDepth = Readonly<{ waiting: number; active: number; delayed: number; failed: number }>;

/** Where a job the queue holds stands: still to run or running (waiting, delayed, active), or a dead letter. */
export type HeldJobState = 'live' | 'deadLettered';

export interface JobQueue {
  /**
   * Idempotent by job id while the job is pending: an id that is waiting, delayed, running or
   * dead-lettered is not added again. A completed job's id is forgotten: adding it again runs it
   * again, so a handler must leave the same end state when it runs twice.
   */
  enqueue(job: FulfillmentJob, options?: EnqueueOptions): Promise<void>;
  enqueueMany(jobs: readonly Readonly<{ job: FulfillmentJob; options?: EnqueueOptions }>[]): Promise<void>;
  /** Starts processing jobs; resolves once the worker is running. */
  startWorker(handlers: JobHandlers, options: Readonly<{ concurrency: number }>): Promise<QueueWorker>;
  depth(): Promise<QueueDepth>;
  /**
   * Which of these job ids the queue holds, and how: waiting, delayed or running (`live`), or
   * dead-lettered. An id absent from the answer is not held: never added, completed (and so
   * forgotten), or lost with the queue's storage. The saga reconciler asks this of the jobs its
   * sagas wait for.
   */
  heldJobs(jobIds: readonly string[]): Promise<ReadonlyMap<string, HeldJobState>>;
  /**
   * Jobs that failed for good, newest first, `limit` of them after skipping `offset` (a page:
   * a dead letter arriving meanwhile shifts the later pages by one).
   */
  deadLetters(limit?: number, offset?: number): Promise<DeadLetter[]>;
  close(): Promise<void>;
}

export interface QueueWorker {
  /** Takes no new jobs and waits for the running ones to finish (or hands them back). */
  close(): Promise<void>;
}
