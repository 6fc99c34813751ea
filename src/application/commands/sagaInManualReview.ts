import type { ManualReview } from '../../domain/saga';
import { loadSaga, standingOf, type LoadedSaga } from '../saga/loadSaga';
import type { CommandDependencies } from './commandContext';
import { NotFoundError, SagaStateConflictError } from './fulfillmentErrors';

export type SagaInReview = LoadedSaga & Readonly<{ review: ManualReview }>;

/**
 * Operator commands act only on a saga waiting in MANUAL_REVIEW with no operator action pending (a
 * retry or resolution the reactor has not acted on yet): anything else is a 409. The saga is
 * loaded the way the reactor loads it, so the command decides on the saga the reactor will see.
 */
export async function sagaInManualReview(
  { eventStore, definition }: CommandDependencies,
  sagaId: string,
  action: 'retry' | 'resolve',
): Promise<SagaInReview> {
  const loaded = await loadSaga(eventStore, definition, sagaId);
  if (!loaded) throw new NotFoundError('saga', sagaId);
  const standing = standingOf(definition, loaded);
  const review = loaded.saga?.context.manualReview;
  if (standing.state !== 'MANUAL_REVIEW' || !review) {
    throw new SagaStateConflictError(
      `saga ${sagaId} is ${standing.state}: only a saga in MANUAL_REVIEW can be told to ${action}`,
      standing,
    );
  }
  if (loaded.unhandledInputs.some((input) => operatorInputs.has(input.type))) {
    throw new SagaStateConflictError(
      `saga ${sagaId} already has an operator retry or resolution in progress: wait for it to leave MANUAL_REVIEW`,
      standing,
    );
  }
  return { ...loaded, review };
}

const operatorInputs: ReadonlySet<string> = new Set(['SagaRetryRequested', 'SagaResolvedManually']);
