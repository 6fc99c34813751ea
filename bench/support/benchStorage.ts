/**
 * Fresh storage for one saga bench case (app layer, end to end, baseline): a temp data dir, and on
 * MariaDB a fresh database (createMysqlTestDatabase) plus a unique BullMQ key prefix. `drop()`
 * removes all of it, the prefix's Redis keys included.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import IORedis from 'ioredis';
import { createMysqlTestDatabase, testRedisUrl, uniqueRedisPrefix } from '../../src/testing/testServices';

export type Backend = 'sqlite' | 'mysql';
export type Storage = Readonly<{ env: Record<string, string>; drop(): Promise<void> }>;

export async function prepareStorage(backend: Backend): Promise<Storage> {
  const folder = mkdtempSync(join(tmpdir(), 'e2e-bench-'));
  const removeFolder = () => rmSync(folder, { recursive: true, force: true });
  if (backend === 'sqlite') {
    return {
      env: { DATA_DIR: folder, DATABASE_URL: `sqlite:${join(folder, 'fulfillment.sqlite')}` },
      drop: async () => removeFolder(),
    };
  }
  const database = await createMysqlTestDatabase();
  await database.db.destroy();
  const prefix = uniqueRedisPrefix('e2e');
  return {
    env: { DATA_DIR: folder, DATABASE_URL: database.url, REDIS_URL: testRedisUrl, QUEUE_PREFIX: prefix },
    drop: async () => {
      removeFolder();
      try {
        await deleteRedisKeys(prefix);
      } finally {
        await database.drop();
      }
    },
  };
}

async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new IORedis(testRedisUrl, { lazyConnect: true });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = nextCursor;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
