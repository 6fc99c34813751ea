import { sampleStepJob } from '../../testing/sampleJobs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import Redis from 'ioredis';
import { jobIdOf, type FulfillmentJob, type JobQueue } from '../../application/ports/jobQueue';
import { loadConfig } from '../config/config';
import { databaseLocations, migrateAll } from '../database/databases';
import { sqliteFilename } from '../database/knexClient';
import { testRedisUrl, uniqueRedisPrefix } from '../../testing/testServices';
import { BullmqJobQueue, defaultQueueName } from './bullmqJobQueue';
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

  describe('JOB_LEASE_MS', () => {
    const job: FulfillmentJob = sampleStepJob({ sagaId: 'lease', orderId: 'o', causationId: 'e' });

    /** Starts a worker whose handler holds the job, and returns how long its claim has left. */
    async function claimLeft(queue: JobQueue, leaseLeft: () => Promise<number>): Promise<number> {
      let started = () => {};
      const running = new Promise<void>((resolve) => (started = resolve));
      let release = () => {};
      const held = new Promise<void>((resolve) => (release = resolve));
      await queue.enqueue(job);
      await queue.startWorker(
        {
          handle: async () => {
            started();
            await held;
          },
          onFailed: async () => {},
        },
        { concurrency: 1 },
      );
      await running;
      const left = await leaseLeft();
      release();
      return left;
    }

    it('is the embedded queue’s lease', async () => {
      const folder = mkdtempSync(join(tmpdir(), 'create-job-queue-'));
      const config = loadConfig({ DATABASE_URL: `sqlite:${join(folder, 'fulfillment.sqlite')}`, JOB_LEASE_MS: '1500' });
      const locations = databaseLocations(config.databaseUrl);
      await migrateAll(locations);
      const queue = createJobQueue(config);
      const reader = new Database(sqliteFilename(locations.eventStoreUrl), { readonly: true });
      try {
        const left = await claimLeft(queue, async () => {
          const row = reader.prepare('SELECT available_at FROM queue_jobs WHERE job_id = ?').get(jobIdOf(job)) as {
            available_at: number;
          };
          return row.available_at - Date.now();
        });
        expect(left).toBeGreaterThan(1_000);
        expect(left).toBeLessThanOrEqual(1_500);
      } finally {
        reader.close();
        await queue.close();
        rmSync(folder, { recursive: true, force: true });
      }
    });

    it('is the lock duration of BullMQ’s jobs', async () => {
      const prefix = uniqueRedisPrefix('factory-lease');
      const queue = createJobQueue(loadConfig({ REDIS_URL: testRedisUrl, QUEUE_PREFIX: prefix, JOB_LEASE_MS: '1500' }));
      const redis = new Redis(testRedisUrl);
      try {
        const left = await claimLeft(queue, () => redis.pttl(`${prefix}:${defaultQueueName}:${jobIdOf(job)}:lock`));
        expect(left).toBeGreaterThan(1_000);
        expect(left).toBeLessThanOrEqual(1_500);
      } finally {
        redis.disconnect();
        await queue.close();
        await obliterateBullmqQueue(prefix);
      }
    });
  });
});
