import { decodeCursor, encodeCursor } from './opaqueCursor';
import type { QueryDependencies } from './queryContext';
import { toSagaStatus, type SagaStatus } from './sagaStatus';

export const changesLimits = { default: 100, max: 500 } as const;

/**
 * The sagas whose status changed after a cursor, oldest change first, and the cursor to ask
 * with next time: what the console's live lists and `fulfillment sagas tail` poll. Without a
 * cursor: nothing, and the cursor of now, so a tail starts from the present.
 *
 * The cursor is opaque to clients; it holds the read model's `lastPosition` of the last change
 * handed out. A saga that changes twice between two polls shows up once, in its latest state.
 */
export async function sagaChanges(
  { readModel }: Pick<QueryDependencies, 'readModel'>,
  request: Readonly<{ after?: string; limit?: number }>,
): Promise<Readonly<{ items: SagaStatus[]; nextCursor: string }>> {
  if (request.after === undefined)
    return { items: [], nextCursor: encodeCursor('after', await readModel.lastChangePosition()) };
  const after = decodeCursor(request.after, 'after', changesCursor);
  const limit = Math.min(request.limit ?? changesLimits.default, changesLimits.max);
  const rows = await readModel.changedAfter(after, limit);
  return { items: rows.map(toSagaStatus), nextCursor: encodeCursor('after', rows.at(-1)?.lastPosition ?? after) };
}

const changesCursor = {
  param: 'after',
  min: 0,
  hint: 'pass nextCursor from the previous answer unchanged, or leave after out to start from now',
} as const;
