/**
 * How soon a job runs again after the worker process running it is SIGKILLed, on each queue with
 * the default lease (JOB_LEASE_MS, 5 s; src/infrastructure/queue/jobLease.ts gives the expected
 * ranges). Two cases: the whole process restarts (a new worker process is started right after the
 * kill, so its start-up is included), and another worker is alive all along (in this process).
 * Printed figures, no RESULT line: the only same-run baseline would be the old 30 s lock, which
 * takes a minute a sample.
 *
 *   npx tsx bench/redelivery.bench.ts [samples per case, default 3]
 */
import { sampleStepJob } from '../src/testing/sampleJobs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jobIdOf, type FulfillmentJob, type QueueWorker } from '../src/application/ports/jobQueue';
import { createKnex } from '../src/infrastructure/database/knexClient';
import { migrateToLatest } from '../src/infrastructure/database/migrate';
import { defaultJobLeaseMs } from '../src/infrastructure/queue/jobLease';
import { obliterateBullmqQueue } from '../src/infrastructure/queue/testing/obliterateBullmqQueue';
import { openQueue, type QueueSpec } from '../src/infrastructure/queue/testing/queueSpec';
import { spawnQueueWorker } from '../src/infrastructure/queue/testing/spawnQueueWorker';
import { testRedisUrl, uniqueRedisPrefix } from '../src/testing/testServices';

const samples = Number(process.argv[2] ?? 3);
const retry = { attempts: 5, backoffMs: 200 };
const startTimeoutMs = 60_000;

let sequence = 0;
const job = (): FulfillmentJob =>
  sampleStepJob({
    name: 'ReserveInventory',
    sagaId: `redelivery-${process.pid}-${++sequence}`,
    orderId: `order-${sequence}`,
    causationId: `event-${sequence}`,
  });

/** Kills a worker process mid-job and returns the ms until the job started again. */
async function sample(spec: QueueSpec, recoveredBy: 'restarted process' | 'live worker'): Promise<number> {
  const queue = openQueue(spec);
  const killed = job();
  let live: QueueWorker | undefined;
  try {
    await queue.enqueue(killed);
    const first = spawnQueueWorker(spec);
    if ((await first.started(startTimeoutMs)).jobId !== jobIdOf(killed)) throw new Error('another job started');
    let rerunAt: Promise<number>;
    if (recoveredBy === 'live worker') {
      let rerun = (_at: number) => {};
      rerunAt = new Promise((resolve) => (rerun = resolve));
      live = await queue.startWorker(
        { handle: async () => rerun(Date.now()), onFailed: async () => {} },
        { concurrency: 1 },
      );
      await first.kill();
    } else {
      await first.kill();
      const second = spawnQueueWorker(spec);
      rerunAt = second.started(startTimeoutMs).then(async () => {
        const at = Date.now();
        await second.kill();
        return at;
      });
    }
    const killedAt = Date.now();
    return (await rerunAt) - killedAt;
  } finally {
    await live?.close();
    await queue.close();
  }
}

/** Fresh storage for each sample, so that a job left claimed by one sample cannot turn up in the next. */
type Storage = Readonly<{ spec: QueueSpec; drop(): Promise<void> }>;

async function measure(label: string, storage: () => Promise<Storage>): Promise<void> {
  for (const recoveredBy of ['restarted process', 'live worker'] as const) {
    const times: number[] = [];
    for (let index = 0; index < samples; index += 1) {
      const { spec, drop } = await storage();
      try {
        times.push(await sample(spec, recoveredBy));
      } finally {
        await drop();
      }
    }
    times.sort((a, b) => a - b);
    console.log(
      `${label}, ${recoveredBy}: ${times.map((ms) => (ms / 1000).toFixed(2)).join(', ')} s ` +
        `(min ${(times[0]! / 1000).toFixed(2)}, max ${(times.at(-1)! / 1000).toFixed(2)})`,
    );
  }
}

async function main(): Promise<void> {
  console.log(`SIGKILL → the job starts again, JOB_LEASE_MS ${defaultJobLeaseMs}, ${samples} samples per case`);
  await measure('BullMQ', async () => {
    const prefix = uniqueRedisPrefix('redelivery');
    return {
      spec: { kind: 'bullmq', redisUrl: testRedisUrl, prefix, retry, leaseMs: defaultJobLeaseMs },
      drop: () => obliterateBullmqQueue(prefix),
    };
  });
  await measure('SQLite', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'redelivery-bench-'));
    const filename = join(folder, 'queue.sqlite');
    const db = createKnex(`sqlite:${filename}`);
    await migrateToLatest(db, 'eventStore');
    await db.destroy();
    return {
      spec: { kind: 'sqlite', filename, retry, leaseMs: defaultJobLeaseMs, pollIntervalMs: 250 },
      drop: async () => rmSync(folder, { recursive: true, force: true }),
    };
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
