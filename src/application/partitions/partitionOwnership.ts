import type { Logger } from '../ports/logger';
import { LeaseLostError, type Lease, type LeaseHolder, type PartitionLeaseStore } from '../ports/partitionLeases';
import { allPartitions } from './sagaPartitions';

/**
 * One copy's share of a follower's saga partitions, kept by leases: every `leaseMs / 3` it renews
 * what it holds and counts the live copies, takes free or expired partitions up to its fair share
 * (⌈partitions / copies⌉) and hands back what exceeds it, so a new copy gets its share within a
 * few renewals. A stopped copy (SIGTERM) releases everything at once; a killed one loses its
 * leases when they expire.
 *
 * The follower reads `current()` before each batch and runs the batch inside `exclusive`, so a
 * partition is handed back only between batches. `assertValid` is the local half of fencing: a
 * copy paused past its lease (SIGSTOP, a long GC pause) finds on waking that the time it may write
 * has passed, before it writes anything; the database's half is the token that checkpoint writes
 * carry (a lease taken over has a higher one).
 */
export type PartitionOwnershipOptions = Readonly<{
  leases: PartitionLeaseStore;
  holder: LeaseHolder;
  partitions: number;
  leaseMs: number;
  logger: Logger;
  metrics?: PartitionOwnershipMetrics;
}>;

export type PartitionOwnershipMetrics = Readonly<{
  /** A lease taken (`acquired`), handed back (`released`) or found taken over (`lost`). */
  handedOver(follower: string, change: 'acquired' | 'released' | 'lost', count: number): void;
  owned(follower: string, partitions: readonly number[]): void;
}>;

export type OwnedPartitions = Readonly<{
  leases: readonly Lease[];
  /** Raised by every change of the set, so a follower knows to load the new partitions' checkpoints. */
  version: number;
}>;

export interface PartitionOwnership {
  readonly follower: string;
  readonly owner: string;
  readonly partitions: number;
  current(): OwnedPartitions;
  owns(partition: number): boolean;
  /** Throws LeaseLostError when the leases were not renewed in time: the copy must not write. */
  assertValid(): void;
  /** Runs a batch with the partition set held still. */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
  /** Resolves at the next change of the set (or after `timeoutMs`), to wake an idle follower. */
  changed(timeoutMs: number): Promise<void>;
  /** Renews now, say after a write was refused for a stale token. */
  refresh(): Promise<void>;
  /** Releases every lease (after the running batch) and leaves. */
  stop(): Promise<void>;
  /** The leases of every copy, for `fulfillment partitions`. */
  table(): ReturnType<PartitionLeaseStore['table']>;
}

export function startPartitionOwnership(options: PartitionOwnershipOptions): PartitionOwnership {
  const { leases, holder, partitions, leaseMs, logger } = options;
  const log = logger.child({ component: 'partitionOwnership', follower: holder.follower });
  const renewEveryMs = Math.max(50, Math.floor(leaseMs / 3));
  let owned: OwnedPartitions = { leases: [], version: 0 };
  let validUntil = 0;
  let stopped = false;
  let prepared = false;
  let batch: Promise<unknown> = Promise.resolve();
  const listeners = new Set<() => void>();

  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    const run = batch.then(work, work);
    batch = run.catch(() => undefined);
    return run;
  };

  const setOwned = (next: readonly Lease[]) => {
    const sorted = [...next].sort((a, b) => a.partition - b.partition);
    owned = { leases: sorted, version: owned.version + 1 };
    options.metrics?.owned(
      holder.follower,
      sorted.map((lease) => lease.partition),
    );
    for (const listener of [...listeners]) listener();
  };

  const round = async () => {
    if (!prepared) {
      await leases.prepare(holder.follower, partitions);
      prepared = true;
    }
    const started = performance.now();
    const beat = await leases.heartbeat(holder, owned.leases, leaseMs);
    // The database set the expiry at least `leaseMs` after `started`: until then no one can take over.
    validUntil = started + leaseMs;
    const lost = owned.leases.filter((lease) => !beat.held.includes(lease));
    if (lost.length > 0) {
      log.warn({ partitions: lost.map((l) => l.partition) }, 'partitions taken over by another copy');
      options.metrics?.handedOver(holder.follower, 'lost', lost.length);
    }
    let held = [...beat.held];
    const share = Math.ceil(partitions / Math.max(1, beat.liveCopies));
    if (held.length > share) {
      const surplus = held.slice(share);
      held = held.slice(0, share);
      // Out of the set first, then released once no batch uses them.
      setOwned(held);
      await exclusive(() => leases.release(holder, surplus));
      options.metrics?.handedOver(holder.follower, 'released', surplus.length);
      log.info({ partitions: surplus.map((l) => l.partition), share }, 'partitions handed back to even the share');
    } else if (held.length < share) {
      const mine = new Set(held.map((lease) => lease.partition));
      const candidates = shuffled(allPartitions(partitions).filter((partition) => !mine.has(partition)));
      const taken = await leases.acquire(holder, candidates, share - held.length, leaseMs);
      if (taken.length > 0) {
        held.push(...taken);
        options.metrics?.handedOver(holder.follower, 'acquired', taken.length);
        log.info({ partitions: taken.map((l) => l.partition), share }, 'partitions taken');
      }
    }
    if (lost.length > 0 || held.length !== owned.leases.length) setOwned(held);
  };

  // Rounds run one after the other, never two at once (each trusts the set the last one left), and
  // the one timer is set again after each: a round asked for early (refresh) moves the next one.
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const schedule = () => {
    clearTimeout(timer);
    if (!stopped) timer = setTimeout(nextRound, renewEveryMs);
  };
  const nextRound = () => {
    running = running
      .then(round)
      .catch((error: unknown) => log.warn({ err: error }, 'partition leases not renewed; trying again'))
      .finally(schedule);
    return running;
  };

  void nextRound();
  // The first batch waits for the first round: a copy starts with the share it could take.
  batch = running;

  return {
    follower: holder.follower,
    owner: holder.owner,
    partitions,
    current: () => owned,
    owns: (partition) => owned.leases.some((lease) => lease.partition === partition),
    assertValid: () => {
      if (performance.now() >= validUntil && owned.leases.length > 0) {
        throw new LeaseLostError(
          holder.follower,
          owned.leases.map((lease) => lease.partition),
        );
      }
    },
    exclusive,
    table: () => leases.table(),
    changed: (timeoutMs) =>
      new Promise((resolve) => {
        const done = () => {
          clearTimeout(timeout);
          listeners.delete(done);
          resolve();
        };
        const timeout = setTimeout(done, timeoutMs);
        listeners.add(done);
      }),
    refresh: async () => {
      if (!stopped) await nextRound();
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      await running;
      const released = owned.leases;
      setOwned([]);
      await exclusive(async () => {
        await leases.release(holder, released);
        await leases.leave(holder);
      });
      log.info({ partitions: released.map((l) => l.partition) }, 'partitions released on stop');
    },
  };
}

/** A random order, so that copies starting together do not all reach for the same partition first. */
function shuffled<T>(items: T[]): T[] {
  for (let index = items.length - 1; index > 0; index--) {
    const other = Math.floor(Math.random() * (index + 1));
    [items[index], items[other]] = [items[other]!, items[index]!];
  }
  return items;
}
