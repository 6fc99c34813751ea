/**
 * Failover of the saga reactor, for the scale-out bench: with two reactor copies under a steady
 * stream of orders, SIGKILL one (each in turn), and time from the kill until both
 *
 *   - the killed copy's partitions are held by the survivor (the lease table), and
 *   - a saga placed right after the kill in one of those partitions has moved on from
 *     PENDING_PRESCRIPTION in its log (a SagaStateChanged to the next state, GET /sagas/:id/events):
 *     the survivor reacted to its order, a worker ran the step, and the survivor reacted to the
 *     result. The log rather than the read model, so the projection's lag is not counted.
 *
 * Then the killed copy is started again and the bench waits for an even split before the next
 * kill. A failover that has not happened after `giveUpMs` counts as NaN (and fails the target).
 */
import { sagaPartitionOf } from '../../src/application/partitions/sagaPartitions';
import { sagaReactorSubscriber } from '../../src/application/saga/sagaReactorSubscription';
import { placeOrder, postOrders, sagaStatesWritten, type Api } from './orderLoad';
import { partitionsOf, pidOfOwner, waitEvenSplit, type PartitionView } from './partitionShares';
import type { RunningService } from './e2eService';
import type { Spawned } from './serviceProcesses';

export type Failover = Readonly<{
  victim: string;
  partitions: number;
  /** From the kill until the survivor held every partition of the victim. */
  leasesMs: number;
  /** From the kill until the probe saga had moved on. */
  sagaMs: number;
  /** The later of the two: the failover time. */
  totalMs: number;
}>;

const POLL_MS = 50;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Orders at about `perSecond`, two at a time, until stopped; indices from `firstIndex`. */
function steadyLoad(api: Api, perSecond: number, firstIndex: number) {
  let stopped = false;
  let index = firstIndex;
  const running = (async () => {
    while (!stopped) {
      const started = performance.now();
      await postOrders(api, 2, 2, index);
      index += 2;
      await sleep(Math.max(0, 2_000 / perSecond - (performance.now() - started)));
    }
  })();
  return {
    nextIndex: () => index++,
    stop: async () => {
      stopped = true;
      await running;
    },
  };
}

/** Resolves with the time (performance.now()) at which `check` first answered true; NaN past `deadline`. */
async function when(check: () => Promise<boolean>, deadline: number): Promise<number> {
  for (;;) {
    if (await check()) return performance.now();
    if (performance.now() > deadline) return NaN;
    await sleep(POLL_MS);
  }
}

/** Places orders until one's saga falls in `partitions`; answers its id. */
async function probeSaga(api: Api, partitions: readonly number[], count: number, nextIndex: () => number) {
  for (;;) {
    const sagaId = await placeOrder(api, nextIndex());
    if (partitions.includes(sagaPartitionOf(sagaId, count))) return sagaId;
  }
}

export async function measureFailovers(
  service: RunningService,
  view: PartitionView,
  options: Readonly<{ kills: number; ordersPerSecond: number; giveUpMs: number }>,
): Promise<Failover[]> {
  const copies: Spawned[] = service.processes.filter(({ label }) => label.startsWith('reactor'));
  if (copies.length !== 2) throw new Error(`failover needs 2 reactor copies, found ${copies.length}`);
  const load = steadyLoad(service.api, options.ordersPerSecond, 1_000_000);
  const failovers: Failover[] = [];
  try {
    let rows = await waitEvenSplit(view, sagaReactorSubscriber, copies);
    for (let kill = 0; kill < options.kills; kill++) {
      const victimIndex = kill % 2;
      const [victim, survivor] = [copies[victimIndex]!, copies[1 - victimIndex]!];
      const theirs = partitionsOf(rows, victim);
      victim.child.kill('SIGKILL');
      const killedAt = performance.now();
      const deadline = killedAt + options.giveUpMs;
      const [leasesAt, sagaAt] = await Promise.all([
        when(async () => {
          const now = await view.leases(sagaReactorSubscriber);
          return theirs.every((partition) => {
            const row = now[partition]!;
            return row.expiresInMs > 0 && pidOfOwner(row.owner) === survivor.child.pid;
          });
        }, deadline),
        probeSaga(service.api, theirs, rows.length, load.nextIndex).then((sagaId) =>
          when(async () => {
            const states = await sagaStatesWritten(service.api, sagaId);
            return states.some((state) => state !== 'PENDING_PRESCRIPTION');
          }, deadline),
        ),
      ]);
      failovers.push({
        victim: victim.label,
        partitions: theirs.length,
        leasesMs: leasesAt - killedAt,
        sagaMs: sagaAt - killedAt,
        totalMs: Math.max(leasesAt, sagaAt) - killedAt,
      });
      copies[victimIndex] = service.startCopy('reactor', victim.label);
      rows = await waitEvenSplit(view, sagaReactorSubscriber, copies);
    }
  } finally {
    await load.stop();
  }
  return failovers;
}
