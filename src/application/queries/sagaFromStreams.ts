import { streamName } from '../../domain/events';
import { orderIdOf } from '../commands/orderIds';
import type { EventStore, RecordedEvent } from '../ports/eventStore';
import { foldSagaSummary, type SagaSummary } from '../projections/sagaSummary';

export type SagaFromStreams = Readonly<{
  summary: SagaSummary;
  orderEvents: readonly RecordedEvent[];
  sagaEvents: readonly RecordedEvent[];
  /** Revisions to pass as expected revisions when appending to either stream. */
  orderRevision: number;
  sagaRevision: number | 'no_stream';
}>;

/**
 * The saga as its streams say it is right now: the source of truth that commands decide on, and
 * the fallback queries use before the read model has caught up. Undefined for an unknown saga.
 */
export async function readSagaFromStreams(
  eventStore: EventStore,
  sagaId: string,
): Promise<SagaFromStreams | undefined> {
  const orderId = orderIdOf(sagaId);
  const [orderEvents, sagaEvents] = await Promise.all([
    eventStore.readStream(streamName.order(orderId)),
    eventStore.readStream(streamName.saga(sagaId)),
  ]);
  const summary = foldSagaSummary([...orderEvents, ...sagaEvents]);
  if (!summary || summary.sagaId !== sagaId) return undefined;
  return {
    summary,
    orderEvents,
    sagaEvents,
    orderRevision: orderEvents.at(-1)!.revision,
    sagaRevision: sagaEvents.at(-1)?.revision ?? 'no_stream',
  };
}
