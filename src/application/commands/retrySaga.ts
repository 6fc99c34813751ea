import { streamName, type SagaRetryRequested } from '../../domain/events';
import { eventMetadata, type CommandDependencies, type CommandOrigin } from './commandContext';
import { SagaStateConflictError } from './fulfillmentErrors';
import { sagaInManualReview } from './sagaInManualReview';

/** An operator retries the compensation that failed; the reactor resumes unwinding. */
export async function retrySaga(
  { eventStore, clock }: CommandDependencies,
  request: Readonly<{ sagaId: string }>,
  origin: CommandOrigin,
): Promise<Readonly<{ sagaId: string; orderId: string; compensation: string }>> {
  const saga = await sagaInManualReview(eventStore, request.sagaId, 'retry');
  const { sagaId, orderId, compensationStack, failedCompensation, failedCompensationRound, state, currentStep } =
    saga.summary;
  // The failed compensation is the one that stopped unwinding: still on top of the stack.
  const compensation = failedCompensation ?? compensationStack.at(-1);
  if (!compensation) {
    throw new SagaStateConflictError(`saga ${sagaId} has no failed compensation to retry: resolve it instead`, {
      sagaId,
      state,
      step: currentStep,
    });
  }
  const event: SagaRetryRequested = {
    type: 'SagaRetryRequested',
    data: { sagaId, orderId, compensation, round: failedCompensationRound ?? 0, requestedBy: origin.actor },
  };
  await eventStore.appendToStream(
    streamName.saga(sagaId),
    [{ ...event, metadata: eventMetadata(event.type, sagaId, origin, clock) }],
    { expectedRevision: saga.sagaRevision },
  );
  return { sagaId, orderId, compensation };
}
