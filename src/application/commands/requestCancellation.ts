import { streamName, type OrderCancellationRequested } from '../../domain/events';
import { terminalSagaStates, type SagaState } from '../../domain/saga/sagaVocabulary';
import type { EventStore } from '../ports/eventStore';
import { loadSaga, standingOf } from '../saga/loadSaga';
import { eventMetadata, type CommandDependencies, type CommandOrigin } from './commandContext';
import { NotFoundError, OrderAlreadyFinalError } from './fulfillmentErrors';

/**
 * A customer asks to cancel: OrderCancellationRequested on the order stream. The saga unwinds
 * what has succeeded so far. Refused once the saga has ended; asking twice is harmless (the
 * second request is recorded but changes nothing). The saga is loaded as the reactor loads it.
 */
export async function requestCancellation(
  dependencies: CommandDependencies,
  request: Readonly<{ orderId: string; reason?: string }>,
  origin: CommandOrigin,
): Promise<Readonly<{ orderId: string; sagaId: string; state: SagaState }>> {
  const { eventStore, definition, clock } = dependencies;
  const sagaId = await sagaIdOfOrder(eventStore, request.orderId);
  const saga = await loadSaga(eventStore, definition, sagaId);
  if (!saga) throw new NotFoundError('order', request.orderId);
  const standing = standingOf(definition, saga);
  if ((terminalSagaStates as readonly SagaState[]).includes(standing.state)) {
    throw new OrderAlreadyFinalError(standing);
  }
  const event: OrderCancellationRequested = {
    type: 'OrderCancellationRequested',
    data: { orderId: request.orderId, sagaId, reason: request.reason ?? null },
  };
  await eventStore.appendToStream(
    streamName.order(request.orderId),
    [{ ...event, metadata: eventMetadata(event.type, sagaId, origin, clock) }],
    { expectedRevision: saga.orderRevision },
  );
  return { orderId: request.orderId, sagaId, state: standing.state };
}

async function sagaIdOfOrder(eventStore: EventStore, orderId: string): Promise<string> {
  const [created] = await eventStore.readStream(streamName.order(orderId), { maxCount: 1 });
  if (created?.type !== 'OrderCreated') throw new NotFoundError('order', orderId);
  return created.data.sagaId;
}
