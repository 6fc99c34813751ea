import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import type { Clock } from '../../application/ports/clock';
import {
  NonRetryableJobError,
  RetryLaterError,
  type FulfillmentJob,
  type JobHandlers,
  type QueueWorker,
} from '../../application/ports/jobQueue';
import type { Logger } from '../../application/ports/logger';
import { asError, deferralDelayMs, reportFinalFailure } from './finalFailure';
import { retryDelayMs } from './retryBackoff';
import type { ClaimedJobRow, SqliteJobStatements } from './sqliteJobStatements';

/**
 * Runs the embedded queue's jobs. One loop, the pump, does all the writing: in one transaction it
 * records the outcomes of the jobs that finished since it last ran and claims as many due jobs as
 * there are free slots. It runs when a job finishes, when a job is enqueued in this process, and on
 * a timer set for the next delayed job (at most `pollIntervalMs` away, so that jobs enqueued by
 * another process and leases left behind by a dead one are found too).
 *
 * Crash safety: a claimed job holds a lease that this worker renews every leaseMs/3 while the job
 * runs. If the process dies, the lease runs out and the job is run again, by whichever worker polls
 * first (delivery is at least once; jobLease.ts has the timings). Outcomes are written after the
 * handler returns, and `onFailed` is awaited before the dead letter is written, so a crash at any
 * point repeats work rather than losing the failure report.
 *
 * A try deferred by a RetryLaterError (from the handler, or from `onFailed` on the last try) goes
 * back to `queued` after its delay with its claim handed back uncounted: `attempt` counts claims, so
 * the deferral takes the one it made back off, and the next run sees the same attempt.
 */
export type SqliteWorkerSettings = Readonly<{
  concurrency: number;
  pollIntervalMs: number;
  leaseMs: number;
  clock: Clock;
  logger: Logger;
}>;

type Outcome =
  | Readonly<{ kind: 'done'; jobId: string }>
  | Readonly<{ kind: 'retry'; jobId: string; error: string; runAt: number }>
  | Readonly<{ kind: 'deferred'; jobId: string; error: string; runAt: number }>
  | Readonly<{ kind: 'failed'; jobId: string; error: string }>;

const oldDoneBatch = 1_000;

export class SqliteQueueWorker implements QueueWorker {
  private readonly owner = randomUUID();
  private readonly running = new Map<string, Promise<void>>();
  private outcomes: Outcome[] = [];
  private pumpScheduled = false;
  private closing = false;
  private closed = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private pollAt = 0;
  private readonly leaseTimer: NodeJS.Timeout;
  /** Until a poll finds none, each poll deletes a batch of the `done` rows an older version kept. */
  private oldDoneRowsLeft = true;

  constructor(
    private readonly db: Database,
    private readonly statements: SqliteJobStatements,
    private readonly handlers: JobHandlers,
    private readonly settings: SqliteWorkerSettings,
    private readonly onClosed: (worker: SqliteQueueWorker) => void,
  ) {
    const renewEveryMs = Math.max(10, Math.floor(settings.leaseMs / 3));
    this.leaseTimer = setInterval(() => this.guarded('renew leases', () => this.renewLeases()), renewEveryMs);
    this.poll();
  }

  /**
   * Called on a local enqueue, so that a new job starts without waiting for the poll timer, and when
   * a job finishes. With every slot busy there is nothing to do: the next finished job will pump.
   */
  wake(): void {
    if (this.closing || this.pumpScheduled) return;
    if (this.running.size >= this.settings.concurrency && this.outcomes.length === 0) return;
    this.pumpScheduled = true;
    setImmediate(() => this.pump());
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearTimeout(this.pollTimer);
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
    clearInterval(this.leaseTimer);
    this.db.transaction(() => this.writeOutcomes())();
    this.outcomes = [];
    this.closed = true;
    this.onClosed(this);
  }

  private now = () => this.settings.clock.now().getTime();

  private poll(): void {
    if (this.closing) return;
    this.guarded('release expired leases', () => {
      this.statements.releaseExpiredLeases.run(this.now());
      if (this.oldDoneRowsLeft)
        this.oldDoneRowsLeft = this.statements.deleteDone.run(oldDoneBatch).changes === oldDoneBatch;
    });
    this.pump();
  }

  private pump(): void {
    this.pumpScheduled = false;
    if (this.closed) return;
    const free = this.closing ? 0 : this.settings.concurrency - this.running.size;
    const claimed = this.guarded('record outcomes and claim jobs', () => {
      const rows = this.db.transaction(() => {
        this.writeOutcomes();
        if (free <= 0) return [];
        const now = this.now();
        return this.statements.claim.all({
          now,
          leaseUntil: now + this.settings.leaseMs,
          owner: this.owner,
          limit: free,
        });
      })();
      this.outcomes = [];
      return rows;
    });
    for (const row of claimed ?? []) this.start(row);
    this.schedulePoll();
  }

  /**
   * A storage error (say the file is locked by another process for longer than busy_timeout) must
   * not crash the process from a timer: it is logged, and the next poll tries again. Outcomes not
   * written stay in memory for the next pump; claims that were rolled back were never made.
   */
  private guarded<T>(what: string, action: () => T): T | undefined {
    try {
      return action();
    } catch (error) {
      this.settings.logger.error(
        { err: asError(error) },
        `job queue worker could not ${what}; retrying at the next poll`,
      );
      return undefined;
    }
  }

  /**
   * Arms the timer for the next due job, or `pollIntervalMs` from now, whichever is sooner; a timer
   * already set to fire sooner is kept, so that a busy worker still polls. With every slot taken,
   * due jobs wait for a finishing job to pump rather than for a timer that would only spin.
   */
  private schedulePoll(): void {
    if (this.closing) return;
    const now = this.now();
    const slotFree = this.running.size < this.settings.concurrency;
    const nextDueAt =
      (slotFree && this.guarded('find the next due job', () => this.statements.nextDueAt.get())) || Infinity;
    const pollAt = Math.min(Math.max(nextDueAt, now), now + this.settings.pollIntervalMs);
    if (this.pollTimer && this.pollAt <= pollAt) return;
    clearTimeout(this.pollTimer);
    this.pollAt = pollAt;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      this.poll();
    }, pollAt - now);
  }

  /** Runs inside the caller's transaction; the caller clears `outcomes` once it has committed. */
  private writeOutcomes(): void {
    const now = this.now();
    for (const outcome of this.outcomes) {
      switch (outcome.kind) {
        case 'done':
          this.statements.complete.run(outcome.jobId, this.owner);
          break;
        case 'retry':
          this.statements.retryLater.run(outcome.runAt, outcome.error, outcome.jobId, this.owner);
          break;
        case 'deferred':
          this.statements.defer.run(outcome.runAt, outcome.error, outcome.jobId, this.owner);
          break;
        case 'failed':
          this.statements.deadLetter.run(now, outcome.error, outcome.jobId, this.owner);
          break;
      }
    }
  }

  private renewLeases(): void {
    if (this.running.size > 0) this.statements.renewLeases.run(this.now() + this.settings.leaseMs, this.owner);
  }

  private start(row: ClaimedJobRow): void {
    const run = this.run(row)
      .catch((error: unknown) => {
        // Only a bug in this file gets here; the lease hands the job back for another try.
        this.settings.logger.error({ err: asError(error), jobId: row.job_id }, 'job queue worker failed to run a job');
      })
      .finally(() => {
        this.running.delete(row.job_id);
        this.wake();
      });
    this.running.set(row.job_id, run);
  }

  private async run(row: ClaimedJobRow): Promise<void> {
    const job = JSON.parse(row.job) as FulfillmentJob;
    const error = await this.attempt(job, row);
    if (!error) {
      this.outcomes.push({ kind: 'done', jobId: row.job_id });
    } else if (error instanceof RetryLaterError) {
      this.defer(row, error);
    } else if (error instanceof NonRetryableJobError || row.attempt >= row.max_attempts) {
      let recorded: Error;
      try {
        recorded = await reportFinalFailure(this.handlers, job, error);
      } catch (thrown) {
        if (!(thrown instanceof RetryLaterError)) throw thrown;
        this.defer(row, thrown);
        return;
      }
      this.outcomes.push({ kind: 'failed', jobId: row.job_id, error: recorded.message });
    } else {
      const runAt = this.now() + retryDelayMs({ attempts: row.max_attempts, backoffMs: row.backoff_ms }, row.attempt);
      this.outcomes.push({ kind: 'retry', jobId: row.job_id, error: error.message, runAt });
    }
  }

  private defer(row: ClaimedJobRow, later: RetryLaterError): void {
    this.outcomes.push({
      kind: 'deferred',
      jobId: row.job_id,
      error: later.message,
      runAt: this.now() + deferralDelayMs(later),
    });
  }

  /** Runs the handler and returns what it threw, if anything. */
  private async attempt(job: FulfillmentJob, row: ClaimedJobRow): Promise<Error | undefined> {
    // A job claimed again after its last try was cut short twice (the process died running it each
    // time) is not run a third time: it goes to the dead letters, so that it cannot crash-loop.
    if (row.attempt > row.max_attempts + 1) {
      return new NonRetryableJobError(
        `job ${row.job_id} was interrupted ${row.attempt - row.max_attempts} times after its last try (the process stopped while it ran)`,
      );
    }
    try {
      await this.handlers.handle(job, { attempt: row.attempt });
      return undefined;
    } catch (thrown) {
      return asError(thrown);
    }
  }
}
