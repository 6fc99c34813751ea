import type { EventStore } from '../ports/eventStore';
import { readSagaFromStreams, type SagaFromStreams } from '../queries/sagaFromStreams';
import { NotFoundError, SagaStateConflictError } from './fulfillmentErrors';

/**
 * Operator commands act only on a saga waiting in MANUAL_REVIEW with no operator action pending
 * (a retry or resolution the reactor has not acted on yet): anything else is a 409.
 */
export async function sagaInManualReview(
  eventStore: EventStore,
  sagaId: string,
  action: 'retry' | 'resolve',
): Promise<SagaFromStreams> {
  const saga = await readSagaFromStreams(eventStore, sagaId);
  if (!saga) throw new NotFoundError('saga', sagaId);
  const { state, currentStep, operatorActionPending } = saga.summary;
  const context = { sagaId, state, step: currentStep };
  if (state !== 'MANUAL_REVIEW') {
    throw new SagaStateConflictError(
      `saga ${sagaId} is ${state}: only a saga in MANUAL_REVIEW can be told to ${action}`,
      context,
    );
  }
  if (operatorActionPending) {
    throw new SagaStateConflictError(
      `saga ${sagaId} already has an operator retry or resolution in progress: wait for it to leave MANUAL_REVIEW`,
      context,
    );
  }
  return saga;
}
