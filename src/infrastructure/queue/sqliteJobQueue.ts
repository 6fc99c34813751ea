import Database from 'better-sqlite3';
import { systemClock, type Clock } from '../../application/ports/clock';
import {
  jobIdOf,
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
import { FulfillmentError } from '../../domain/errors';
import { configureSqliteConnection } from '../database/knexClient';
import { defaultJobLeaseMs } from './jobLease';
import { prepareJobStatements, type SqliteJobStatements } from './sqliteJobStatements';
import { SqliteQueueWorker } from './sqliteQueueWorker';

/**
 * The embedded job queue: in-process, but durable. Jobs live in the `queue_jobs` table of the
 * SQLite event-store file (migration eventStore/002_queue_jobs), so a job the saga reactor handed
 * over survives a crash, and so does a delayed retry. The hot path is raw better-sqlite3
 * statements, prepared once, synchronous and short, so it never holds SQLite's write lock across an
 * await: per job one insert (the enqueues of a tick share a transaction), one share of a claim (a
 * pump claims up to its free slots in one statement) and one delete when it completes, in the same
 * transaction as the next claim. Completed jobs are deleted, not kept: as with BullMQ, a job id
 * is a no-op to enqueue while it is waiting, delayed, running or dead-lettered, and a job added
 * again after it completed runs again, which the handlers make harmless (bullmqJobQueue.ts).
 * Semantics match the BullMQ adapter; one contract suite (jobQueue.contract.ts) checks both.
 */
export type SqliteJobQueueOptions = Readonly<{
  /** The queue's default; a job's `EnqueueOptions.retry` overrides it. */
  retry: RetryPolicy;
  /** Longest wait before looking for jobs that another process enqueued or left behind. */
  pollIntervalMs?: number;
  /** JOB_LEASE_MS (jobLease.ts): how long a claimed job stays claimed without a renewal. */
  leaseMs?: number;
  clock?: Clock;
  logger?: Logger;
}>;

type PendingInsert = Readonly<{
  jobs: readonly Readonly<{ job: FulfillmentJob; options?: EnqueueOptions }>[];
  resolve(): void;
  reject(error: unknown): void;
}>;

export class QueueStorageMissingError extends FulfillmentError {
  constructor(filename: string, cause: Error) {
    super(
      'QUEUE_STORAGE_MISSING',
      `the job queue table queue_jobs cannot be used in ${filename} (${cause.message}): run \`fulfillment migrate\` first`,
    );
  }
}

export class SqliteJobQueue implements JobQueue {
  private readonly statements: SqliteJobStatements;
  private readonly workers = new Set<SqliteQueueWorker>();
  private pendingInserts: PendingInsert[] = [];
  private readonly clock: Clock;
  private readonly logger: Logger;

  /** Takes a connection to the migrated event-store file; `fromFile` opens one it then owns. */
  constructor(
    private readonly db: Database.Database,
    private readonly options: SqliteJobQueueOptions,
    private readonly ownsConnection = false,
  ) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    try {
      this.statements = prepareJobStatements(db);
    } catch (error) {
      throw new QueueStorageMissingError(db.name, error as Error);
    }
  }

  static fromFile(filename: string, options: SqliteJobQueueOptions): SqliteJobQueue {
    const db = new Database(filename);
    configureSqliteConnection(db);
    try {
      return new SqliteJobQueue(db, options, true);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /**
   * Enqueues made in the same tick (several sagas reacting at once) are written in one
   * transaction: each commit appends pages to the WAL, so one per job would cap the queue at
   * the disk's commit rate. The promise resolves once the job is committed.
   */
  enqueue(job: FulfillmentJob, options?: EnqueueOptions): Promise<void> {
    return this.enqueueMany([{ job, options }]);
  }

  enqueueMany(jobs: readonly Readonly<{ job: FulfillmentJob; options?: EnqueueOptions }>[]): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.pendingInserts.length === 0) setImmediate(() => this.writePendingInserts());
      this.pendingInserts.push({ jobs, resolve, reject });
    });
  }

  async startWorker(handlers: JobHandlers, options: Readonly<{ concurrency: number }>): Promise<QueueWorker> {
    const worker = new SqliteQueueWorker(
      this.db,
      this.statements,
      handlers,
      {
        concurrency: options.concurrency,
        pollIntervalMs: this.options.pollIntervalMs ?? 250,
        leaseMs: this.options.leaseMs ?? defaultJobLeaseMs,
        clock: this.clock,
        logger: this.logger,
      },
      (closed) => this.workers.delete(closed),
    );
    this.workers.add(worker);
    return worker;
  }

  async depth(): Promise<QueueDepth> {
    const now = this.clock.now().getTime();
    return {
      waiting: this.statements.countWaiting.get(now)!.n,
      active: this.statements.countActive.get()!.n,
      delayed: this.statements.countDelayed.get(now)!.n,
      failed: this.statements.countFailed.get()!.n,
    };
  }

  async heldJobs(jobIds: readonly string[]): Promise<ReadonlyMap<string, HeldJobState>> {
    if (jobIds.length === 0) return new Map();
    const rows = this.statements.held.all(JSON.stringify(jobIds));
    return new Map(rows.map((row) => [row.job_id, row.status === 'failed' ? 'deadLettered' : 'live']));
  }

  async deadLetters(limit = 100, offset = 0): Promise<DeadLetter[]> {
    return this.statements.failed.all(limit, offset).map((row) => ({
      jobId: row.job_id,
      job: JSON.parse(row.job) as FulfillmentJob,
      error: row.last_error ?? '',
      attempts: row.attempt,
      failedAt: new Date(row.finished_at).toISOString(),
    }));
  }

  /** Closes the workers (each waits for its running jobs), then the connection if this queue opened it. */
  async close(): Promise<void> {
    await Promise.all([...this.workers].map((worker) => worker.close()));
    if (this.ownsConnection && this.db.open) this.db.close();
  }

  private writePendingInserts(): void {
    const batch = this.pendingInserts;
    this.pendingInserts = [];
    try {
      this.db.transaction(() => {
        for (const { jobs } of batch) for (const { job, options } of jobs) this.insert(job, options);
      })();
    } catch (error) {
      for (const { reject } of batch) reject(error);
      return;
    }
    for (const { resolve } of batch) resolve();
    this.wakeWorkers();
  }

  private insert(job: FulfillmentJob, options: EnqueueOptions | undefined): void {
    const retry = options?.retry ?? this.options.retry;
    const now = this.clock.now().getTime();
    this.statements.insert.run(
      jobIdOf(job),
      JSON.stringify(job),
      retry.attempts,
      retry.backoffMs,
      now + (options?.delayMs ?? 0),
      now,
    );
  }

  private wakeWorkers(): void {
    for (const worker of this.workers) worker.wake();
  }
}
