import { streamName, type SagaRetryRequested } from '../../domain/events';
import { eventMetadata, type CommandDependencies, type CommandOrigin } from './commandContext';
import { sagaInManualReview } from './sagaInManualReview';

/** An operator retries the compensation that failed; the reactor resumes unwinding. */
export async function retrySaga(
  dependencies: CommandDependencies,
  request: Readonly<{ sagaId: string }>,
  origin: CommandOrigin,
): Promise<Readonly<{ sagaId: string; orderId: string; compensation: string }>> {
  const saga = await sagaInManualReview(dependencies, request.sagaId, 'retry');
  const { sagaId, orderId, review } = saga;
  const event: SagaRetryRequested = {
    type: 'SagaRetryRequested',
    data: { sagaId, orderId, compensation: review.compensation, round: review.round, requestedBy: origin.actor },
  };
  await dependencies.eventStore.appendToStream(
    streamName.saga(sagaId),
    [{ ...event, metadata: eventMetadata(event.type, sagaId, origin, dependencies.clock) }],
    { expectedRevision: saga.revision },
  );
  return { sagaId, orderId, compensation: review.compensation };
}
