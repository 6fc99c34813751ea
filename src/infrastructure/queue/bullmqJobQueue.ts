import { DelayedError, Queue, UnrecoverableError, Worker, type Job, type JobsOptions, type RedisOptions } from 'bullmq';
import {
  jobIdOf,
  NonRetryableJobError,
  RetryLaterError,
  type DeadLetter,
  type EnqueueOptions,
  type FulfillmentJob,
  type HeldJobState,
  type JobHandlers,
  type JobQueue,
  type QueueDepth,
  type QueueWorker,
  type RetryPolicy,
} from '../../application/ports/jobQueue';
import { silentLogger, type Logger } from '../../application/ports/logger';
import { asError, deferralDelayMs, reportFinalFailure } from './finalFailure';
import { bullmqLeaseSettings, defaultJobLeaseMs } from './jobLease';
import { backoffJitter } from './retryBackoff';

/**
 * The production job queue: BullMQ on Redis, one queue per service. The job id is `jobIdOf(job)`,
 * so adding a job whose id Redis still holds (waiting, delayed, active, or failed) is a no-op.
 * Failed jobs are kept as dead letters. Completed jobs are removed at once (`removeOnComplete`): a
 * job added again after its id has completed runs again, which is harmless, because a job's end
 * state is the same whether it runs once or twice (outcome events have deterministic ids, and the
 * participants are idempotent: asked again, they answer as the first time). Keeping them instead bought
 * little: the old `{ age: 1 day, count: 100,000 }` kept 33 s of jobs at 3,000 jobs/s, and cost a
 * job hash in memory each and an eviction per completion (bench/queueCost.bench.ts).
 *
 * A job whose worker died runs again after the lease (`leaseMs`, JOB_LEASE_MS) lapses: see
 * jobLease.ts for how that maps onto BullMQ's lock and stall check.
 *
 * `onFailed` runs inside the processor, on the last try, before the job is moved to the failed set.
 * That is the crash-safe place: if the process dies during it, the job's lock lapses, BullMQ hands
 * the job to another worker as stalled and the last try (and `onFailed`) runs again: at least once,
 * like every job. BullMQ's `failed` event, by contrast, fires after the move, in memory only: a
 * crash between the two would lose the report for good.
 *
 * A try deferred by a RetryLaterError (bullmq's manual delay: `job.moveToDelayed` with the worker's
 * token, then a DelayedError) goes back to the delayed set without spending an attempt: BullMQ's
 * `moveToDelayed` skips the `attemptsMade` increment, so the next run sees the same attempt. It does
 * count in `attemptsStarted`, which is why interruptions are read from `stalledCounter` (the stall
 * checker's own count of the times the job was taken back from a dead worker), not from the gap
 * between the tries started and the tries made.
 */
export type BullmqJobQueueOptions = Readonly<{
  redisUrl: string;
  /** Redis key prefix, e.g. QUEUE_PREFIX, or a unique one per test file. */
  prefix: string;
  queueName?: string;
  /** The queue's default; a job's `EnqueueOptions.retry` overrides it. */
  retry: RetryPolicy;
  /** JOB_LEASE_MS (jobLease.ts): how soon a dead worker's job runs again. */
  leaseMs?: number;
  logger?: Logger;
}>;

export const defaultQueueName = 'fulfillment-jobs';

/**
 * A worker keeps taking back a job whose process died while running it (a stall) until it has been
 * cut short this many times; then the job is dead-lettered without being run again, so that a job
 * that crashes its process cannot crash-loop a fleet, and `onFailed` still hears of it.
 */
const maxInterruptions = 2;

const backoffOf = (retry: RetryPolicy) =>
  ({ type: 'exponential', delay: retry.backoffMs, jitter: backoffJitter }) as const;

export class BullmqJobQueue implements JobQueue {
  private readonly queue: Queue<FulfillmentJob>;
  private readonly workers = new Set<Worker<FulfillmentJob>>();
  private readonly logger: Logger;
  private readonly queueName: string;

  constructor(private readonly options: BullmqJobQueueOptions) {
    this.logger = (options.logger ?? silentLogger).child({ component: 'bullmqJobQueue' });
    this.queueName = options.queueName ?? defaultQueueName;
    this.queue = new Queue<FulfillmentJob>(this.queueName, {
      connection: { url: options.redisUrl },
      prefix: options.prefix,
      defaultJobOptions: {
        attempts: options.retry.attempts,
        backoff: backoffOf(options.retry),
        removeOnComplete: true,
        removeOnFail: false,
      },
      // Nothing reads BullMQ's event stream (no QueueEvents): keep it as short as Redis trims it.
      streams: { events: { maxLen: 0 } },
    });
    this.queue.on('error', (err) => this.logger.error({ err }, 'job queue connection error'));
  }

  async enqueue(job: FulfillmentJob, options?: EnqueueOptions): Promise<void> {
    await this.queue.add(job.kind, job, jobOptionsOf(job, options));
  }

  async enqueueMany(jobs: readonly Readonly<{ job: FulfillmentJob; options?: EnqueueOptions }>[]): Promise<void> {
    if (jobs.length === 0) return;
    await this.queue.addBulk(
      jobs.map(({ job, options }) => ({ name: job.kind, data: job, opts: jobOptionsOf(job, options) })),
    );
  }

  async startWorker(handlers: JobHandlers, options: Readonly<{ concurrency: number }>): Promise<QueueWorker> {
    // A worker blocks on Redis while waiting for jobs: BullMQ requires maxRetriesPerRequest null.
    const connection: RedisOptions = { url: this.options.redisUrl, maxRetriesPerRequest: null };
    const worker = new Worker<FulfillmentJob>(this.queueName, (job, token) => runJob(job, token, handlers), {
      connection,
      prefix: this.options.prefix,
      concurrency: options.concurrency,
      ...bullmqLeaseSettings(this.options.leaseMs ?? defaultJobLeaseMs),
      maxStalledCount: maxInterruptions + 1,
    });
    worker.on('error', (err) => this.logger.error({ err }, 'job queue worker error'));
    this.workers.add(worker);
    await worker.waitUntilReady();
    return {
      close: async () => {
        this.workers.delete(worker);
        await worker.close();
      },
    };
  }

  async depth(): Promise<QueueDepth> {
    const counts = await this.queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed');
    return {
      waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      failed: counts.failed ?? 0,
    };
  }

  /**
   * A job's hash exists exactly while BullMQ would not add its id again (its add script checks
   * that), so one HMGET per id answers whether it is held; `finishedOn` marks one that has ended,
   * and with completed jobs removed at once an ended job is a dead letter. The commands go out
   * together on one connection: one round trip for the lot, never a scan of the wait list (as
   * `getJobState` does, with LPOS).
   */
  async heldJobs(jobIds: readonly string[]): Promise<ReadonlyMap<string, HeldJobState>> {
    const client = await this.queue.getBackend().client;
    const fields = await Promise.all(
      jobIds.map((jobId) => client.hmget(this.queue.toKey(jobId), 'timestamp', 'finishedOn')),
    );
    const held = new Map<string, HeldJobState>();
    jobIds.forEach((jobId, index) => {
      const [addedAt, finishedOn] = fields[index]!;
      if (addedAt !== null) held.set(jobId, finishedOn === null ? 'live' : 'deadLettered');
    });
    return held;
  }

  async deadLetters(limit = 100, offset = 0): Promise<DeadLetter[]> {
    const failed = (await this.queue.getFailed(offset, offset + limit - 1)) as Job<FulfillmentJob>[];
    return failed.map((job) => ({
      jobId: job.id ?? jobIdOf(job.data),
      job: job.data,
      error: job.failedReason,
      attempts: job.attemptsMade,
      failedAt: new Date(job.finishedOn ?? job.timestamp).toISOString(),
    }));
  }

  /** Closes the workers (each waits for its running jobs), then the queue's connection. */
  async close(): Promise<void> {
    await Promise.all([...this.workers].map((worker) => worker.close()));
    this.workers.clear();
    await this.queue.close();
  }
}

function jobOptionsOf(job: FulfillmentJob, options: EnqueueOptions | undefined): JobsOptions {
  return {
    jobId: jobIdOf(job),
    ...(options?.delayMs ? { delay: options.delayMs } : {}),
    ...(options?.retry ? { attempts: options.retry.attempts, backoff: backoffOf(options.retry) } : {}),
  };
}

/**
 * The processor. A throw retries the job with backoff, unless this is its last try or the error is
 * a NonRetryableJobError: then `onFailed` is awaited first and an UnrecoverableError stops BullMQ
 * from trying again (the try count alone would too, but this way it does not hinge on BullMQ's
 * counting matching ours). A RetryLaterError, from the handler or from `onFailed`, defers the try.
 */
async function runJob(bullJob: Job<FulfillmentJob>, token: string | undefined, handlers: JobHandlers): Promise<void> {
  const job = bullJob.data;
  const attempt = bullJob.attemptsMade + 1;
  const interruptions = bullJob.stalledCounter;
  let error: Error;
  if (interruptions >= maxInterruptions) {
    error = new NonRetryableJobError(
      `job ${bullJob.id} was interrupted ${interruptions} times (the process stopped while it ran)`,
    );
  } else {
    try {
      await handlers.handle(job, { attempt });
      return;
    } catch (thrown) {
      error = asError(thrown);
    }
  }
  if (error instanceof RetryLaterError) return defer(bullJob, token, error);
  const lastTry = error instanceof NonRetryableJobError || attempt >= (bullJob.opts.attempts ?? 1);
  if (!lastTry) throw error;
  let recorded: Error;
  try {
    recorded = await reportFinalFailure(handlers, job, error);
  } catch (thrown) {
    if (thrown instanceof RetryLaterError) return defer(bullJob, token, thrown);
    throw thrown;
  }
  throw new UnrecoverableError(recorded.message);
}

/** Moves the running job to the delayed set, its attempt not spent, and tells the worker so. */
async function defer(bullJob: Job<FulfillmentJob>, token: string | undefined, later: RetryLaterError): Promise<never> {
  await bullJob.moveToDelayed(Date.now() + deferralDelayMs(later), token);
  throw new DelayedError(later.message);
}
