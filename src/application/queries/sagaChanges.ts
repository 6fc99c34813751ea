import { decodeCursor, encodeCursor } from './opaqueCursor';
import type { QueryDependencies } from './queryContext';
import { toSagaStatus, type SagaStatus } from './sagaStatus';

export const changesLimits = { default: 100, max: 500 } as const;

/**
 * The sagas whose status changed after a cursor, oldest change first, and the cursor to ask
 * with next time: what the console's live lists and `fulfillment sagas tail` poll. Without a
 * cursor: nothing, and the cursor of now, so a tail starts from the present.
 *
 * The cursor is opaque to clients; it holds a position in the event log. Changes are handed out
 * only up to where the read model is complete (`completeThrough`): with the projection split
 * over copies that follow different saga partitions, one copy may commit a change below another's
 * later, and a cursor that had moved past it would skip it for good. A saga that changes twice
 * between two polls shows up once, in its latest state.
 */
export async function sagaChanges(
  { readModel }: Pick<QueryDependencies, 'readModel'>,
  request: Readonly<{ after?: string; limit?: number }>,
): Promise<Readonly<{ items: SagaStatus[]; nextCursor: string }>> {
  const through = await readModel.completeThrough();
  if (request.after === undefined) return { items: [], nextCursor: encodeCursor('after', through) };
  const after = decodeCursor(request.after, 'after', changesCursor);
  if (through <= after) return { items: [], nextCursor: request.after };
  const limit = Math.min(request.limit ?? changesLimits.default, changesLimits.max);
  const rows = await readModel.changedAfter(after, through, limit);
  // A full page stops at its last change; a shorter one has handed out everything up to `through`.
  const next = rows.length === limit ? rows.at(-1)!.lastPosition : through;
  return { items: rows.map(toSagaStatus), nextCursor: encodeCursor('after', next) };
}

const changesCursor = {
  param: 'after',
  min: 0,
  hint: 'pass nextCursor from the previous answer unchanged, or leave after out to start from now',
} as const;
