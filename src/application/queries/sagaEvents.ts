import { streamName } from '../../domain/events';
import { NotFoundError } from '../commands/fulfillmentErrors';
import { orderIdOf } from '../commands/orderIds';
import type { EventStore } from '../ports/eventStore';

export type SagaEventView = Readonly<{
  position: number;
  stream: string;
  type: string;
  data: unknown;
  metadata: unknown;
}>;

/** Every event of a saga and its order (saga, order and participant streams), in global order. */
export async function sagaEvents(
  { eventStore }: Readonly<{ eventStore: EventStore }>,
  sagaId: string,
): Promise<Readonly<{ events: SagaEventView[] }>> {
  const orderId = orderIdOf(sagaId);
  const streams = [
    streamName.order(orderId),
    streamName.saga(sagaId),
    streamName.prescription(orderId),
    streamName.inventoryReservation(orderId),
    streamName.shipment(orderId),
  ];
  const perStream = await Promise.all(streams.map((stream) => eventStore.readStream(stream)));
  const [orderEvents] = perStream;
  if (orderEvents?.[0]?.type !== 'OrderCreated' || orderEvents[0].data.sagaId !== sagaId) {
    throw new NotFoundError('saga', sagaId);
  }
  const events = perStream
    .flat()
    .sort((a, b) => a.position - b.position)
    .map(({ position, stream, type, data, metadata }) => ({ position, stream, type, data, metadata }));
  return { events };
}
