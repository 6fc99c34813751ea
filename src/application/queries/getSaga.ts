import { NotFoundError } from '../commands/fulfillmentErrors';
import type { QueryDependencies } from './queryContext';
import { readSagaFromStreams } from './sagaFromStreams';
import { toSagaStatus, type SagaStatus } from './sagaStatus';

/**
 * A saga's status from the read model, or from its streams while the projection has not caught
 * up yet: an id that POST /orders handed out never answers 404.
 */
export async function getSaga({ eventStore, readModel }: QueryDependencies, sagaId: string): Promise<SagaStatus> {
  const row = await readModel.findBySagaId(sagaId);
  if (row) return toSagaStatus(row);
  const fromStreams = await readSagaFromStreams(eventStore, sagaId);
  if (!fromStreams) throw new NotFoundError('saga', sagaId);
  return toSagaStatus(fromStreams.summary);
}
