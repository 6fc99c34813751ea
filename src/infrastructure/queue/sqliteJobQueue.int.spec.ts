import { sampleStepJob } from '../../testing/sampleJobs';
import Database from 'better-sqlite3';
import { configureSqliteConnection, sqliteFilename } from '../database/knexClient';
import { createSqliteTestDatabase } from '../../testing/testServices';
import { describeJobQueueContract } from './jobQueue.contract';
import { SqliteJobQueue } from './sqliteJobQueue';
import { openQueue, type QueueSpec } from './testing/queueSpec';

const retry = { attempts: 3, backoffMs: 15 };

describeJobQueueContract('SQLite (embedded)', async () => {
  const database = await createSqliteTestDatabase({ migrate: ['eventStore'] });
  const spec: QueueSpec = {
    kind: 'sqlite',
    filename: sqliteFilename(database.url),
    retry,
    leaseMs: 1_000,
    pollIntervalMs: 50,
  };
  return {
    queue: openQueue(spec),
    reopen: async () => openQueue(spec),
    spec,
    cleanup: () => database.drop(),
  };
});

describe('SQLite job queue', () => {
  it('runs again a job whose lease ran out because the process that claimed it died', async () => {
    const database = await createSqliteTestDatabase({ migrate: ['eventStore'] });
    const filename = sqliteFilename(database.url);
    const connection = new Database(filename);
    configureSqliteConnection(connection);
    const job = sampleStepJob({ name: 'InitiateShipment', sagaId: 's1', orderId: 'o1', causationId: 'e1' });
    try {
      // A claim by a process that then vanished: the job is active with a lease that has run out.
      const dead = new SqliteJobQueue(connection, { retry });
      await dead.enqueue(job);
      connection
        .prepare(`UPDATE queue_jobs SET status = 'active', attempt = 1, lease_owner = 'dead', available_at = ?`)
        .run(Date.now() - 1);

      const attempts: number[] = [];
      const queue = new SqliteJobQueue(connection, { retry, pollIntervalMs: 20 });
      const worker = await queue.startWorker(
        { handle: async (_job, { attempt }) => void attempts.push(attempt), onFailed: async () => {} },
        { concurrency: 1 },
      );
      const deadline = Date.now() + 5_000;
      while (attempts.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      await worker.close();
      expect(attempts).toEqual([2]);
      expect(await queue.depth()).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
    } finally {
      connection.close();
      await database.drop();
    }
  });

  it('names the missing migration when the queue table is not there', async () => {
    const database = await createSqliteTestDatabase({ migrate: [] });
    try {
      expect(() => SqliteJobQueue.fromFile(sqliteFilename(database.url), { retry })).toThrow(/fulfillment migrate/);
    } finally {
      await database.drop();
    }
  });
});
