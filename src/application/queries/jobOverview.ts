import { decodeCursor, encodeCursor } from './opaqueCursor';
import type { JobQueue } from '../ports/jobQueue';

/** What the operator console shows of the job queue: its depth, and the jobs that failed for good. */

export type JobStats = Readonly<{ waiting: number; active: number; delayed: number; deadLettered: number }>;

export async function jobStats(jobQueue: Pick<JobQueue, 'depth'>): Promise<JobStats> {
  const { waiting, active, delayed, failed } = await jobQueue.depth();
  return { waiting, active, delayed, deadLettered: failed };
}

export const deadLetterLimits = { default: 50, max: 200 } as const;

export type DeadLetterItem = Readonly<{
  jobId: string;
  sagaId: string;
  orderId?: string;
  kind: 'step' | 'compensation';
  name: string;
  attempts: number;
  failedReason: string;
  failedAt: string;
}>;

/**
 * Dead letters, newest first, a page at a time. The cursor is opaque to clients: it holds how
 * many dead letters the earlier pages showed (a queue offers no stabler key across both
 * backends), so one that fails while an operator pages shifts the later pages by one.
 */
export async function deadLetters(
  jobQueue: Pick<JobQueue, 'deadLetters'>,
  request: Readonly<{ limit?: number; cursor?: string }>,
): Promise<Readonly<{ items: DeadLetterItem[]; nextCursor: string | null }>> {
  const limit = Math.min(request.limit ?? deadLetterLimits.default, deadLetterLimits.max);
  const offset = request.cursor === undefined ? 0 : decodeCursor(request.cursor, 'offset', pageCursor);
  const letters = await jobQueue.deadLetters(limit + 1, offset);
  const items = letters.slice(0, limit).map(({ jobId, job, attempts, error, failedAt }): DeadLetterItem => ({
    jobId,
    sagaId: job.sagaId,
    ...(job.orderId ? { orderId: job.orderId } : {}),
    kind: job.kind,
    name: job.name,
    attempts,
    failedReason: error,
    failedAt,
  }));
  return { items, nextCursor: letters.length > limit ? encodeCursor('offset', offset + limit) : null };
}

const pageCursor = {
  param: 'cursor',
  min: 1,
  hint: 'pass nextCursor from the previous page unchanged',
} as const;
