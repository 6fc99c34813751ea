import { streamName, type SagaResolvedManually } from '../../domain/events';
import { eventMetadata, type CommandDependencies, type CommandOrigin } from './commandContext';
import { sagaInManualReview } from './sagaInManualReview';

/** An operator fixed things by hand: the saga ends CANCELLED with the note recorded. */
export async function resolveSaga(
  dependencies: CommandDependencies,
  request: Readonly<{ sagaId: string; note: string }>,
  origin: CommandOrigin,
): Promise<Readonly<{ sagaId: string; orderId: string }>> {
  const saga = await sagaInManualReview(dependencies, request.sagaId, 'resolve');
  const { sagaId, orderId } = saga;
  const event: SagaResolvedManually = {
    type: 'SagaResolvedManually',
    data: { sagaId, orderId, note: request.note, resolvedBy: origin.actor },
  };
  await dependencies.eventStore.appendToStream(
    streamName.saga(sagaId),
    [{ ...event, metadata: eventMetadata(event.type, sagaId, origin, dependencies.clock) }],
    { expectedRevision: saga.revision },
  );
  return { sagaId, orderId };
}
