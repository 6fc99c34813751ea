import { testRedisUrl, uniqueRedisPrefix } from '../../testing/testServices';
import { describeJobQueueContract } from './jobQueue.contract';
import { obliterateBullmqQueue } from './testing/obliterateBullmqQueue';
import { openQueue, type QueueSpec } from './testing/queueSpec';

const retry = { attempts: 3, backoffMs: 15 };

describeJobQueueContract('BullMQ (Redis)', async () => {
  const spec: QueueSpec = {
    kind: 'bullmq',
    redisUrl: testRedisUrl,
    prefix: uniqueRedisPrefix('jobqueue'),
    retry,
    leaseMs: 1_000,
  };
  const open = () => openQueue(spec);
  const queue = open();
  try {
    await queue.depth();
  } catch (error) {
    await queue.close().catch(() => undefined);
    throw new Error(
      `BullMQ cannot use Redis at ${testRedisUrl} (${(error as Error).message}): start Redis or set TEST_REDIS_URL`,
      { cause: error },
    );
  }
  return { queue, reopen: async () => open(), spec, cleanup: () => obliterateBullmqQueue(spec.prefix) };
});
