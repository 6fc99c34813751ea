import type { Database } from 'better-sqlite3';
import type { Clock } from '../../application/ports/clock';
import type { JobQueue } from '../../application/ports/jobQueue';
import type { Logger } from '../../application/ports/logger';
import { ConfigurationError, type Config } from '../config/config';
import { databaseLocations } from '../database/databases';
import { sqliteFilename } from '../database/knexClient';
import { BullmqJobQueue } from './bullmqJobQueue';
import { SqliteJobQueue } from './sqliteJobQueue';

export type JobQueueDependencies = Readonly<{
  logger?: Logger;
  clock?: Clock;
  /** The event-store file's open connection, to share; without it the queue opens its own. */
  eventStoreSqlite?: Database;
}>;

/**
 * REDIS_URL set: BullMQ. Unset: the embedded queue in the SQLite event-store file. A MariaDB
 * DATABASE_URL without REDIS_URL is refused: the embedded queue has no SQLite file there to live
 * in, and a MariaDB deployment is one that runs its roles as separate processes, which share jobs
 * through Redis.
 */
export function createJobQueue(config: Config, deps: JobQueueDependencies = {}): JobQueue {
  if (config.queue.kind === 'bullmq') {
    return new BullmqJobQueue({
      redisUrl: config.queue.redisUrl,
      prefix: config.queue.prefix,
      retry: config.retry,
      leaseMs: config.jobLeaseMs,
      logger: deps.logger,
    });
  }
  const locations = databaseLocations(config.databaseUrl);
  if (locations.dialect !== 'sqlite') {
    throw new ConfigurationError(
      'REDIS_URL',
      'is required when DATABASE_URL is a mysql:// URL (the in-process queue keeps its jobs in the SQLite event-store file): set it, e.g. redis://127.0.0.1:6379, or use a sqlite: DATABASE_URL',
      undefined,
    );
  }
  const options = { retry: config.retry, leaseMs: config.jobLeaseMs, logger: deps.logger, clock: deps.clock };
  return deps.eventStoreSqlite
    ? new SqliteJobQueue(deps.eventStoreSqlite, options)
    : SqliteJobQueue.fromFile(sqliteFilename(locations.eventStoreUrl), options);
}
