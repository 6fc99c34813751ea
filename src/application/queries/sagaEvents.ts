import { NotFoundError } from '../commands/fulfillmentErrors';
import { orderIdOf } from '../commands/orderIds';
import type { EventStore, RecordedEvent } from '../ports/eventStore';
import { sagaStreamsOf } from '../saga/fulfillmentSteps';

export type SagaEventView = Readonly<{
  position: number;
  stream: string;
  type: string;
  data: unknown;
  metadata: unknown;
}>;

/** Every event of a saga and its order (saga, order and participant streams), in global order. */
export async function readSagaEvents(
  eventStore: EventStore,
  sagaId: string,
  orderId: string,
): Promise<RecordedEvent[]> {
  const perStream = await Promise.all(sagaStreamsOf(sagaId, orderId).map((stream) => eventStore.readStream(stream)));
  return perStream.flat().sort((a, b) => a.position - b.position);
}

/** `GET /sagas/:sagaId/events`: the saga's events as the API shows them; 404 for an unknown saga. */
export async function sagaEvents(
  { eventStore }: Readonly<{ eventStore: EventStore }>,
  sagaId: string,
): Promise<Readonly<{ events: SagaEventView[] }>> {
  const all = await readSagaEvents(eventStore, sagaId, orderIdOf(sagaId));
  const created = all[0];
  if (created?.type !== 'OrderCreated' || created.data.sagaId !== sagaId) throw new NotFoundError('saga', sagaId);
  return {
    events: all.map(({ position, stream, type, data, metadata }) => ({ position, stream, type, data, metadata })),
  };
}
