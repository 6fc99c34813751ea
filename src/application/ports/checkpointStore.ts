import type { PartitionCheckpoints } from './partitionLeases';

/**
 * Where a subscriber keeps the global position it has handled up to. Projections keep theirs in
 * the same transaction as their rows instead; this port is for subscribers whose effects are
 * idempotent (the saga reactor enqueues with deterministic job ids, then stores its checkpoint).
 */
export interface CheckpointStore {
  /** The stored position, or 0 when the subscriber has never stored one. */
  load(subscriber: string): Promise<number>;
  store(subscriber: string, position: number): Promise<void>;
  /**
   * Moves each leased partition's checkpoint (`<follower>/<partition>`) to `position`, never back.
   * Where the leases live beside the checkpoints (MariaDB), a lease taken over since is refused
   * with LeaseLostError and nothing is written.
   */
  storePartitions(checkpoints: PartitionCheckpoints, position: number): Promise<void>;
}
