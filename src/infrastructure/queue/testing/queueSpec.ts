import type { JobQueue, RetryPolicy } from '../../../application/ports/jobQueue';
import { BullmqJobQueue } from '../bullmqJobQueue';
import { SqliteJobQueue } from '../sqliteJobQueue';

/**
 * Everything a process needs to open a test's queue, as plain data: the contract suite builds its
 * queues from one, and hands the same one to a worker in a child process (queueWorkerProcess.ts).
 */
export type QueueSpec =
  | Readonly<{ kind: 'bullmq'; redisUrl: string; prefix: string; retry: RetryPolicy; leaseMs: number }>
  | Readonly<{ kind: 'sqlite'; filename: string; retry: RetryPolicy; leaseMs: number; pollIntervalMs: number }>;

export function openQueue(spec: QueueSpec): JobQueue {
  switch (spec.kind) {
    case 'bullmq':
      return new BullmqJobQueue({
        redisUrl: spec.redisUrl,
        prefix: spec.prefix,
        retry: spec.retry,
        leaseMs: spec.leaseMs,
      });
    case 'sqlite':
      return SqliteJobQueue.fromFile(spec.filename, {
        retry: spec.retry,
        leaseMs: spec.leaseMs,
        pollIntervalMs: spec.pollIntervalMs,
      });
  }
}
