import { ValidationError } from '../commands/fulfillmentErrors';
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
  const beforePosition = request.cursor === undefined ? undefined : decodeCursor(request.cursor);
  const filter = { state: request.state, scope: request.scope };
  const rows = await readModel.list(filter, { limit: limit + 1, beforePosition });
  const page = rows.slice(0, limit);
  const nextCursor = rows.length > limit ? encodeCursor(page.at(-1)!.createdPosition) : null;
  return { items: page.map(toSagaStatus), nextCursor };
}

const encodeCursor = (position: number) =>
  Buffer.from(JSON.stringify({ v: 1, before: position })).toString('base64url');

function decodeCursor(cursor: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { v?: unknown; before?: unknown };
    if (parsed.v === 1 && Number.isSafeInteger(parsed.before) && (parsed.before as number) > 0)
      return parsed.before as number;
  } catch {
    // falls through to the error below
  }
  throw new ValidationError(
    'cursor is not one this service handed out: pass nextCursor from the previous page unchanged',
    [{ path: ['cursor'], message: 'invalid cursor' }],
  );
}
