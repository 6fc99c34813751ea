import type { CatchUpSubscription, PartitionedSubscription } from '../../application/subscriptions';
import type { PartitionProgress } from '../observability/metrics';

/**
 * Whether the roles of this process are making progress: each follower of the log (the reactor,
 * the projection), as its subscription says. `/readyz` answers 503 while any is retrying a
 * transient failure, or has failed on an event it cannot read, and names it; a gauge
 * shows each. `npm start`'s saga thread reports its followers through `addSource`.
 */
export type FollowerStatus = Readonly<{
  subscription: string;
  state: 'running' | 'retrying' | 'stopped' | 'failed';
  position: number;
  error?: string;
  attempts?: number;
  /** A partitioned follower's owned saga partitions, each with its checkpoint. */
  partitions?: readonly PartitionProgress[];
}>;

export class RoleProgress {
  private readonly subscriptions = new Set<CatchUpSubscription>();
  private readonly sources: (() => Promise<readonly FollowerStatus[]>)[] = [];

  watch(subscription: CatchUpSubscription): void {
    this.subscriptions.add(subscription);
  }

  /** Followers that live elsewhere in this process (another thread). */
  addSource(statuses: () => Promise<readonly FollowerStatus[]>): void {
    this.sources.push(statuses);
  }

  async statuses(): Promise<FollowerStatus[]> {
    const here = [...this.subscriptions].map(statusOf);
    const elsewhere = await Promise.all(this.sources.map((source) => source()));
    return [...here, ...elsewhere.flat()];
  }

  /** For /readyz: throws naming every follower that is not making progress. */
  async check(): Promise<void> {
    // A follower stopped on purpose (the process is closing) is not stuck.
    const stuck = (await this.statuses()).filter((status) => status.state === 'retrying' || status.state === 'failed');
    if (stuck.length === 0) return;
    throw new Error(
      stuck
        .map(({ subscription, state, error, attempts }) =>
          state === 'retrying'
            ? `${subscription} is retrying (${attempts} failed attempts, last: ${error})`
            : `${subscription} has ${state}${error ? `: ${error}` : ''}`,
        )
        .join('; '),
    );
  }
}

export function statusOf(subscription: CatchUpSubscription): FollowerStatus {
  const status = subscription.status();
  return {
    subscription: subscription.name,
    state: status.state,
    position: status.position,
    ...('error' in status ? { error: status.error.message } : {}),
    ...('attempts' in status ? { attempts: status.attempts } : {}),
    ...('checkpoints' in subscription ? { partitions: partitionsOf(subscription as PartitionedSubscription) } : {}),
  };
}

const partitionsOf = (subscription: PartitionedSubscription): PartitionProgress[] =>
  [...subscription.checkpoints()]
    .map(([partition, checkpoint]) => ({ partition, checkpoint }))
    .sort((a, b) => a.partition - b.partition);
