/**
 * Leases on saga partitions (src/application/partitions): which copy of a follower (the saga
 * reactor, a projection) handles which partition, each held until an expiry its owner renews. The
 * database's clock decides expiry, so the hosts' clocks need not agree.
 */

/** A partition held, with the fencing token it was acquired with (raised by every change of owner). */
export type Lease = Readonly<{ partition: number; token: number }>;

/** Who the lease is for: one copy (`owner`) of one follower (`sagaReactor`, a projection's name). */
export type LeaseHolder = Readonly<{ follower: string; owner: string }>;

export type LeaseRow = Readonly<{
  follower: string;
  partition: number;
  owner: string | null;
  token: number;
  /** Negative once expired. */
  expiresInMs: number;
}>;

export type Heartbeat = Readonly<{
  /** The live copies of the follower, this one included. */
  liveCopies: number;
  /** Of the leases this copy thought it held, those it still holds (renewed). */
  held: readonly Lease[];
}>;

/** A write on behalf of partitions whose lease this copy no longer holds: it must stop writing for them. */
export class LeaseLostError extends Error {
  constructor(
    readonly follower: string,
    readonly partitions: readonly number[],
  ) {
    super(
      `${follower} no longer holds the lease on partition(s) ${partitions.join(', ')}: another copy took them over`,
    );
    this.name = 'LeaseLostError';
  }
}

export interface PartitionLeaseStore {
  /** Makes sure every partition of the follower has its lease row (free at first). */
  prepare(follower: string, partitions: number): Promise<void>;
  /** Renews this copy's membership and the leases it holds, and counts the live copies. */
  heartbeat(holder: LeaseHolder, held: readonly Lease[], ttlMs: number): Promise<Heartbeat>;
  /** Takes up to `max` of these partitions where free or expired; answers the leases taken. */
  acquire(holder: LeaseHolder, candidates: readonly number[], max: number, ttlMs: number): Promise<Lease[]>;
  /** Frees leases at once, so another copy can take them without waiting for their expiry. */
  release(holder: LeaseHolder, leases: readonly Lease[]): Promise<void>;
  /** Ends this copy's membership. */
  leave(holder: LeaseHolder): Promise<void>;
  /** Every lease, for `fulfillment partitions`. */
  table(): Promise<LeaseRow[]>;
}

/**
 * The checkpoints a partitioned follower moves after a batch: one per leased partition
 * (`<follower>/<partition>`), each written only while its lease's token is still the current one.
 */
export type PartitionCheckpoints = Readonly<{ follower: string; owner: string; leases: readonly Lease[] }>;
