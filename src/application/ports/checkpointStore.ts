/**
 * Where a subscriber keeps the global position it has handled up to. Projections keep theirs in
 * the same transaction as their rows instead; this port is for subscribers whose effects are
 * idempotent (the saga reactor enqueues with deterministic job ids, then stores its checkpoint).
 */
export interface CheckpointStore {
  /** The stored position, or 0 when the subscriber has never stored one. */
  load(subscriber: string): Promise<number>;
  store(subscriber: string, position: number): Promise<void>;
}
