import { streamName } from '../../src/domain/events';
import type { SagaState } from '../../src/domain/saga';
import { forEachConcurrently } from '../../src/application/saga/forEachConcurrently';
import type { Storage } from '../support/sagaHarness';
import type { StreamOrder } from './orderStream';

/**
 * Waits, read from the log, until every saga has settled — ended COMPLETED or CANCELLED, or
 * stopped in MANUAL_REVIEW for an operator — or until `untilMs` (ms since the epoch). A saga that
 * has not settled by then is stuck. Reads that fail (our storage may still be coming back) are
 * tried again on the next round.
 */
export type Settled = Readonly<{ state: SagaState; settledAt: number }>;

const settledStates: readonly SagaState[] = ['COMPLETED', 'CANCELLED', 'MANUAL_REVIEW'];

export async function waitSettled(
  storage: Storage,
  orders: readonly StreamOrder[],
  untilMs: number,
): Promise<Map<string, Settled>> {
  const settled = new Map<string, Settled>();
  for (;;) {
    const pending = orders.filter((order) => !settled.has(order.sagaId));
    await forEachConcurrently(pending, 16, async ({ sagaId }) => {
      const last = await lastStateChange(storage, sagaId).catch(() => undefined);
      if (last && settledStates.includes(last.state)) settled.set(sagaId, last);
    });
    if (settled.size === orders.length || Date.now() > untilMs) return settled;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** The saga's current state, and when it entered it. */
export async function lastStateChange(storage: Storage, sagaId: string): Promise<Settled | undefined> {
  const events = await storage.eventStore.readStream(streamName.saga(sagaId));
  const last = events.findLast((event) => event.type === 'SagaStateChanged');
  if (last?.type !== 'SagaStateChanged') return undefined;
  return { state: last.data.to, settledAt: Date.parse(last.metadata.occurredAt) };
}
