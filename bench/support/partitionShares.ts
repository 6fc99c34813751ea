/**
 * Who handled which sagas, for the scale-out bench: read from the service database, as
 * `fulfillment partitions` reads it (the service's own lease store, knexPartitionLeases), which
 * copy of a follower (`sagaReactor`, the `order_fulfillment_sagas` projection) holds which saga
 * partition; and which sagas were started, from the read model (`order_fulfillment_sagas`, whose
 * row id is the saga's creation position, so the rows after a mark are the sagas placed since).
 *
 * A copy is recognised by the pid in its owner name (`host:pid:random`, copyName in
 * src/infrastructure/app/partitionFollowers.ts). A saga is handled by whoever holds its partition
 * (sagaPartitionOf over its id): counting shares that way is exact only while no partition changes
 * hands, so the bench reads the table before and after a run and says whether it did.
 */
import type { LeaseRow } from '../../src/application/ports/partitionLeases';
import { sagaPartitionOf } from '../../src/application/partitions/sagaPartitions';
import { createKnex } from '../../src/infrastructure/database/knexClient';
import { knexPartitionLeases } from '../../src/infrastructure/database/knexPartitionLeases';
import { liveSagasTable } from '../../src/infrastructure/readModel/sagaSummaryRows';
import type { Spawned } from './serviceProcesses';

export type PartitionView = Readonly<{
  /** Every partition of one follower, lowest first. */
  leases(follower: string): Promise<LeaseRow[]>;
  /** The newest saga row's id: the mark `sagasSince` counts from. */
  sagaMark(): Promise<number>;
  sagasSince(mark: number): Promise<string[]>;
  close(): Promise<void>;
}>;

export function openPartitionView(databaseUrl: string): PartitionView {
  const db = createKnex(databaseUrl, { poolMax: 2 });
  const store = knexPartitionLeases(db);
  return {
    leases: async (follower) =>
      (await store.table()).filter((row) => row.follower === follower).sort((a, b) => a.partition - b.partition),
    sagaMark: async () => {
      const [row] = await db(liveSagasTable).max<{ id: number | string | null }[]>({ id: 'id' });
      return Number(row?.id ?? 0);
    },
    sagasSince: (mark) => db(liveSagasTable).where('id', '>', mark).pluck('saga_uuid'),
    close: () => db.destroy(),
  };
}

/** The pid in an owner name `host:pid:random`. */
export const pidOfOwner = (owner: string | null): number | undefined => {
  const match = owner === null ? null : /:(\d+):[^:]+$/.exec(owner);
  return match ? Number(match[1]) : undefined;
};

/** The partitions a copy holds on a live (unexpired) lease. */
export const partitionsOf = (rows: readonly LeaseRow[], copy: Spawned): number[] =>
  rows.filter((row) => row.expiresInMs > 0 && pidOfOwner(row.owner) === copy.child.pid).map((row) => row.partition);

/** Every partition held on a live lease by one of `copies`, each copy with ⌊P/N⌋ or ⌈P/N⌉ of them. */
export function evenlySplit(rows: readonly LeaseRow[], copies: readonly Spawned[]): boolean {
  const held = copies.map((copy) => partitionsOf(rows, copy).length);
  const fair = rows.length / copies.length;
  return (
    held.reduce((sum, count) => sum + count, 0) === rows.length &&
    held.every((count) => count >= Math.floor(fair) && count <= Math.ceil(fair))
  );
}

/** Polls the lease table until the follower's partitions are evenly split among `copies`; answers the table. */
export async function waitEvenSplit(
  view: PartitionView,
  follower: string,
  copies: readonly Spawned[],
  timeoutMs = 60_000,
): Promise<LeaseRow[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await view.leases(follower);
    if (evenlySplit(rows, copies)) return rows;
    if (Date.now() > deadline) {
      const owners = rows.map((row) => `${row.partition}:${pidOfOwner(row.owner) ?? '-'}`).join(' ');
      const pids = copies.map((copy) => `${copy.label}=${copy.child.pid}`).join(', ');
      throw new Error(`${follower}: no even split among ${pids} after ${timeoutMs} ms (partition:pid ${owners})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Whether every partition kept its owner and fencing token between two readings (no hand-over at all). */
export const sameHolders = (before: readonly LeaseRow[], after: readonly LeaseRow[]): boolean =>
  before.length === after.length &&
  before.every((row, index) => row.owner === after[index]!.owner && row.token === after[index]!.token);

export type CopyShare = Readonly<{ label: string; partitions: number; sagas: number }>;

/** Each copy's partitions and the sagas among `sagaIds` that fall in them. */
export function sharesOf(rows: readonly LeaseRow[], copies: readonly Spawned[], sagaIds: readonly string[]) {
  const perPartition = new Array<number>(rows.length).fill(0);
  for (const sagaId of sagaIds) perPartition[sagaPartitionOf(sagaId, rows.length)]!++;
  return copies.map((copy): CopyShare => {
    const mine = partitionsOf(rows, copy);
    return {
      label: copy.label,
      partitions: mine.length,
      sagas: mine.reduce((sum, partition) => sum + perPartition[partition]!, 0),
    };
  });
}
