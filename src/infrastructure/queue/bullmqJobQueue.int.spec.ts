import { testRedisUrl, uniqueRedisPrefix } from '../../testing/testServices';
import { BullmqJobQueue } from './bullmqJobQueue';
import { describeJobQueueContract } from './jobQueue.contract';
import { obliterateBullmqQueue } from './testing/obliterateBullmqQueue';

const retry = { attempts: 3, backoffMs: 15 };

describeJobQueueContract('BullMQ (Redis)', async () => {
  const prefix = uniqueRedisPrefix('jobqueue');
  const open = () => new BullmqJobQueue({ redisUrl: testRedisUrl, prefix, retry });
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
  return { queue, reopen: async () => open(), cleanup: () => obliterateBullmqQueue(prefix) };
});
