import type { Database } from 'better-sqlite3';

/**
 * The embedded queue's SQL, prepared once on the event-store file's better-sqlite3 connection.
 * Statuses: `queued` (may run from `available_at`), `active` (claimed; the lease runs out at
 * `available_at`) and `failed` (a dead letter, kept until an operator deals with it). A completed
 * job's row is deleted; `done` rows are what an older version kept of completed jobs for a day.
 */
export type ClaimedJobRow = Readonly<{
  job_id: string;
  job: string;
  attempt: number;
  max_attempts: number;
  backoff_ms: number;
}>;

type FailedJobRow = Readonly<{
  job_id: string;
  job: string;
  last_error: string | null;
  attempt: number;
  finished_at: number;
}>;

export type SqliteJobStatements = ReturnType<typeof prepareJobStatements>;

export function prepareJobStatements(db: Database) {
  const count = <Parameters extends unknown[]>(where: string) =>
    db.prepare<Parameters, { n: number }>(`SELECT COUNT(*) AS n FROM queue_jobs WHERE ${where}`);
  return {
    /** A job id that exists in any state is not added again: that is the queue's idempotency. */
    insert: db.prepare<[string, string, number, number, number, number]>(
      `INSERT INTO queue_jobs (job_id, job, status, attempt, max_attempts, backoff_ms, available_at, created_at)
       VALUES (?, ?, 'queued', 0, ?, ?, ?, ?) ON CONFLICT (job_id) DO NOTHING`,
    ),
    /** Oldest due jobs first; `attempt` counts claims, so a job cut short by a crash has used a try. */
    claim: db.prepare<{ now: number; leaseUntil: number; owner: string; limit: number }, ClaimedJobRow>(
      `UPDATE queue_jobs SET status = 'active', attempt = attempt + 1, available_at = @leaseUntil, lease_owner = @owner
       WHERE job_id IN (
         SELECT job_id FROM queue_jobs WHERE status = 'queued' AND available_at <= @now ORDER BY available_at LIMIT @limit)
       RETURNING job_id, job, attempt, max_attempts, backoff_ms`,
    ),
    /** Hands back the jobs of a process that stopped while running them. */
    releaseExpiredLeases: db.prepare<[number]>(
      `UPDATE queue_jobs SET status = 'queued', lease_owner = NULL WHERE status = 'active' AND available_at <= ?`,
    ),
    renewLeases: db.prepare<[number, string]>(
      `UPDATE queue_jobs SET available_at = ? WHERE status = 'active' AND lease_owner = ?`,
    ),
    // The outcomes apply only while this worker still holds the lease: once another process has
    // taken an expired lease over, its own outcome is the one that counts.
    complete: db.prepare<[string, string]>(
      `DELETE FROM queue_jobs WHERE job_id = ? AND status = 'active' AND lease_owner = ?`,
    ),
    retryLater: db.prepare<[number, string, string, string]>(
      `UPDATE queue_jobs SET status = 'queued', available_at = ?, last_error = ?, lease_owner = NULL
       WHERE job_id = ? AND status = 'active' AND lease_owner = ?`,
    ),
    /** A deferred try (RetryLaterError) hands its claim back uncounted. */
    defer: db.prepare<[number, string, string, string]>(
      `UPDATE queue_jobs SET status = 'queued', available_at = ?, attempt = attempt - 1, last_error = ?, lease_owner = NULL
       WHERE job_id = ? AND status = 'active' AND lease_owner = ?`,
    ),
    deadLetter: db.prepare<[number, string, string, string]>(
      `UPDATE queue_jobs SET status = 'failed', finished_at = ?, last_error = ?, lease_owner = NULL
       WHERE job_id = ? AND status = 'active' AND lease_owner = ?`,
    ),
    nextDueAt: db
      .prepare<[], number>(`SELECT available_at FROM queue_jobs WHERE status = 'queued' ORDER BY available_at LIMIT 1`)
      .pluck(),
    /** Rows an older version kept of completed jobs (nothing reads them), a bounded batch at a time. */
    deleteDone: db.prepare<[number]>(
      `DELETE FROM queue_jobs WHERE rowid IN (SELECT rowid FROM queue_jobs WHERE status = 'done' LIMIT ?)`,
    ),
    countWaiting: count<[number]>(`status = 'queued' AND available_at <= ?`),
    countDelayed: count<[number]>(`status = 'queued' AND available_at > ?`),
    countActive: count<[]>(`status = 'active'`),
    countFailed: count<[]>(`status = 'failed'`),
    /** The statuses of the given ids (a JSON array), `done` rows of an older version left out. */
    held: db.prepare<[string], Readonly<{ job_id: string; status: string }>>(
      `SELECT job_id, status FROM queue_jobs
       WHERE job_id IN (SELECT value FROM json_each(?)) AND status IN ('queued', 'active', 'failed')`,
    ),
    failed: db.prepare<[number, number], FailedJobRow>(
      `SELECT job_id, job, last_error, attempt, finished_at FROM queue_jobs
       WHERE status = 'failed' ORDER BY finished_at DESC, job_id LIMIT ? OFFSET ?`,
    ),
  };
}
