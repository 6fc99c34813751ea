import { sampleStepJob } from '../../testing/sampleJobs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/config';
import { databaseLocations, migrateAll } from '../database/databases';
import { testRedisUrl, uniqueRedisPrefix } from '../../testing/testServices';
import { BullmqJobQueue } from './bullmqJobQueue';
import { createJobQueue } from './createJobQueue';
import { obliterateBullmqQueue } from './testing/obliterateBullmqQueue';
import { SqliteJobQueue } from './sqliteJobQueue';

describe('createJobQueue', () => {
  it('uses the embedded queue in the SQLite event-store file when REDIS_URL is unset', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'create-job-queue-'));
    const config = loadConfig({ DATABASE_URL: `sqlite:${join(folder, 'fulfillment.sqlite')}` });
    await migrateAll(databaseLocations(config.databaseUrl));
    const queue = createJobQueue(config);
    try {
      expect(queue).toBeInstanceOf(SqliteJobQueue);
      await queue.enqueue(sampleStepJob({ sagaId: 's', orderId: 'o', causationId: 'e' }));
      expect((await queue.depth()).waiting).toBe(1);
    } finally {
      await queue.close();
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('uses BullMQ when REDIS_URL is set', async () => {
    const prefix = uniqueRedisPrefix('factory');
    const config = loadConfig({ REDIS_URL: testRedisUrl, QUEUE_PREFIX: prefix });
    const queue = createJobQueue(config);
    try {
      expect(queue).toBeInstanceOf(BullmqJobQueue);
      expect(await queue.depth()).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
    } finally {
      await queue.close();
      await obliterateBullmqQueue(prefix);
    }
  });

  it('refuses a MariaDB DATABASE_URL without REDIS_URL, naming REDIS_URL', () => {
    const config = loadConfig({ DATABASE_URL: 'mysql://root@127.0.0.1:3306/fulfillment' });
    expect(() => createJobQueue(config)).toThrow(/REDIS_URL is required when DATABASE_URL is a mysql:\/\/ URL/);
  });
});
