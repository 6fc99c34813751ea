/**
 * The job lease (JOB_LEASE_MS): how long a claimed job stays claimed with nobody renewing the
 * claim. A worker renews the claims of the jobs it runs while its process is alive; when the
 * process dies (SIGKILL, OOM, a lost host), the claim lapses and the job runs again. SPEC §8 does
 * not count that wait against a step's deadline, but a customer waits through it, so it is short.
 *
 * Embedded queue (sqliteQueueWorker.ts): `leaseMs` as is. Claims are renewed every leaseMs/3;
 * every worker looks for lapsed leases at each poll (at most 250 ms apart). A killed worker's job
 * runs again between 2/3 × lease and lease + 250 ms after the kill: 3.3–5.3 s at 5 s.
 *
 * BullMQ: `lockDuration` = lease, and the stall check runs every lease/2. A job moves back to wait
 * on the second stall check that finds it without a lock (a check first marks every active job, a
 * lock renewal unmarks it, the next check moves the marked jobs whose lock has gone; the checks of
 * all workers share one schedule through a key that expires after the interval). After a kill the
 * job waits for its lock to lapse (at most a lease) and then for at most one more interval: at most
 * 1.5 × lease, 7.5 s at 5 s, typically about 5.5 s (BullMQ renews a running job's lock about every
 * lease/4, so most kills leave it 3/4 to a whole lease). A shorter interval would trim the worst
 * case by what it saves for more calls; a longer one stretches it. A worker also checks at its start,
 * so a restarted process (no other worker alive) recovers its predecessor's jobs on that schedule.
 *
 * A healthy job is not mistaken for a dead one while its process's event loop turns: BullMQ renews
 * a lock within lease/2 of the claim and then about every lease/4, the embedded queue every
 * lease/3, so a claim lapses only if its process has not run a timer or not reached the store for
 * at least half the lease (2.5 s at 5 s). Renewals are never skipped (no `skipLockRenewal`).
 */
export const defaultJobLeaseMs = 5_000;

/** BullMQ worker settings for a lease (see above). */
export function bullmqLeaseSettings(leaseMs: number): Readonly<{ lockDuration: number; stalledInterval: number }> {
  return { lockDuration: leaseMs, stalledInterval: Math.max(1, Math.round(leaseMs / 2)) };
}
