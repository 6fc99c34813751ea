import { streamName, type SagaResolvedManually } from '../../domain/events';
import { eventMetadata, type CommandDependencies, type CommandOrigin } from './commandContext';
import { sagaInManualReview } from './sagaInManualReview';

/** An operator fixed things by hand: the saga ends CANCELLED with the note recorded. */
export async function resolveSaga(
  { eventStore, clock }: CommandDependencies,
  request: Readonly<{ sagaId: string; note: string }>,
  origin: CommandOrigin,
): Promise<Readonly<{ sagaId: string; orderId: string }>> {
  const saga = await sagaInManualReview(eventStore, request.sagaId, 'resolve');
  const { sagaId, orderId } = saga.summary;
  const event: SagaResolvedManually = {
    type: 'SagaResolvedManually',
    data: { sagaId, orderId, note: request.note, resolvedBy: origin.actor },
  };
  await eventStore.appendToStream(
    streamName.saga(sagaId),
    [{ ...event, metadata: eventMetadata(event.type, sagaId, origin, clock) }],
    { expectedRevision: saga.sagaRevision },
  );
  return { sagaId, orderId };
}
