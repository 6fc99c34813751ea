import { decodeCursor, encodeCursor } from './opaqueCursor';
import type { QueryDependencies } from './queryContext';
import type { SagaListFilter } from './sagaReadModel';
import { toSagaStatus, type SagaStatus } from './sagaStatus';

export const listLimits = { default: 50, max: 200 } as const;

/**
 * Sagas by state or scope, newest first, a page at a time. The cursor is opaque to clients: it
 * encodes the last row's sequence id, so pages stay stable while new sagas arrive.
 */
export async function listSagas(
  { readModel }: Pick<QueryDependencies, 'readModel'>,
  request: SagaListFilter & Readonly<{ limit?: number; cursor?: string }>,
): Promise<Readonly<{ items: SagaStatus[]; nextCursor: string | null }>> {
  const limit = Math.min(request.limit ?? listLimits.default, listLimits.max);
  const beforePosition = request.cursor === undefined ? undefined : decodeCursor(request.cursor, 'before', pageCursor);
  const filter = { state: request.state, scope: request.scope };
  const rows = await readModel.list(filter, { limit: limit + 1, beforePosition });
  const page = rows.slice(0, limit);
  const nextCursor = rows.length > limit ? encodeCursor('before', page.at(-1)!.createdPosition) : null;
  return { items: page.map(toSagaStatus), nextCursor };
}

const pageCursor = {
  param: 'cursor',
  min: 1,
  hint: 'pass nextCursor from the previous page unchanged',
} as const;
