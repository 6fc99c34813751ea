import { Queue } from 'bullmq';
import { testRedisUrl } from '../../../testing/testServices';
import { defaultQueueName } from '../bullmqJobQueue';

/** Removes every key of a test's queue prefix, so reruns leave nothing behind in the shared Redis. */
export async function obliterateBullmqQueue(prefix: string): Promise<void> {
  const queue = new Queue(defaultQueueName, { connection: { url: testRedisUrl }, prefix });
  try {
    await queue.obliterate({ force: true });
  } finally {
    await queue.close();
  }
}
