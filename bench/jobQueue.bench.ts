/**
 * Throughput of the embedded (SQLite) job queue, enqueue → handled, against a same-run baseline:
 * plain better-sqlite3 single-row inserts into the same file, i.e. the cost of just writing each
 * job down once. A saga sends three step jobs (and a compensation for each step undone), so 1,000
 * sagas/s on the embedded stack need the queue to carry 3,000 jobs a second with room to spare for
 * the saga's own work.
 *
 * Run: npx tsx bench/jobQueue.bench.ts [jobs]
 */
import { sampleStepJob } from '../src/testing/sampleJobs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { jobIdOf, type FulfillmentJob } from '../src/application/ports/jobQueue';
import { createKnex, configureSqliteConnection } from '../src/infrastructure/database/knexClient';
import { migrateToLatest } from '../src/infrastructure/database/migrate';
import { SqliteJobQueue } from '../src/infrastructure/queue/sqliteJobQueue';

const jobCount = Number(process.argv[2] ?? 30_000);
const producerChunk = 50;
const concurrency = 16;
const concurrentProducers = 32;
const targetJobsPerSecond = 6_000;

const stepJob = (index: number): FulfillmentJob =>
  sampleStepJob({
    name: 'ReserveInventory',
    sagaId: `0b5c7f0e-0000-4000-8000-${String(index).padStart(12, '0')}`,
    orderId: `order-${index}`,
    causationId: `event-${index}`,
  });

async function migratedFile(folder: string, name: string): Promise<string> {
  const filename = join(folder, name);
  const db = createKnex(`sqlite:${filename}`);
  await migrateToLatest(db, 'eventStore');
  await db.destroy();
  return filename;
}

/** Baseline: one autocommit INSERT per job, nothing else. */
function rawInserts(filename: string): Readonly<{ rowsPerSecond: number; cpuMicrosPerRow: number }> {
  const db = new Database(filename);
  configureSqliteConnection(db);
  const insert = db.prepare(
    `INSERT INTO queue_jobs (job_id, job, status, attempt, max_attempts, backoff_ms, available_at, created_at)
     VALUES (?, ?, 'queued', 0, 5, 200, ?, ?)`,
  );
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  for (let index = 0; index < jobCount; index += 1) {
    const job = stepJob(index);
    insert.run(jobIdOf(job), JSON.stringify(job), Date.now(), Date.now());
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuAtStart);
  db.close();
  return { rowsPerSecond: jobCount / seconds, cpuMicrosPerRow: Math.round((cpu.user + cpu.system) / jobCount) };
}

type QueueFigures = Readonly<{ jobsPerSecond: number; cpuMicrosPerJob: number; p50: number; p99: number }>;

/**
 * `producers` concurrent producers (sagas reacting at the same time) each enqueue their share one
 * job at a time, as the saga reactor does, yielding to the event loop every few jobs.
 */
async function queueJobsPerSecond(filename: string, producers: number): Promise<QueueFigures> {
  const queue = SqliteJobQueue.fromFile(filename, { retry: { attempts: 5, backoffMs: 200 } });
  const enqueuedAt = new Map<string, number>();
  const latencies: number[] = [];
  let handled = 0;
  let allHandled = () => {};
  const done = new Promise<void>((resolve) => (allHandled = resolve));
  const worker = await queue.startWorker(
    {
      handle: async (job) => {
        latencies.push(performance.now() - enqueuedAt.get(jobIdOf(job))!);
        await Promise.resolve();
        if (++handled === jobCount) allHandled();
      },
      onFailed: async () => {},
    },
    { concurrency },
  );
  const produce = async (producer: number) => {
    for (let index = producer, sent = 1; index < jobCount; index += producers, sent += 1) {
      const job = stepJob(index);
      enqueuedAt.set(jobIdOf(job), performance.now());
      await queue.enqueue(job);
      if (sent % producerChunk === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  };
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  await Promise.all(Array.from({ length: producers }, (_, producer) => produce(producer)));
  await done;
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuAtStart);
  await worker.close();
  await queue.close();
  latencies.sort((a, b) => a - b);
  const percentile = (p: number) => Math.round(latencies[Math.floor((latencies.length - 1) * p)]! * 10) / 10;
  return {
    jobsPerSecond: jobCount / seconds,
    cpuMicrosPerJob: Math.round((cpu.user + cpu.system) / jobCount),
    p50: percentile(0.5),
    p99: percentile(0.99),
  };
}

async function main() {
  const folder = mkdtempSync(join(tmpdir(), 'jobqueue-bench-'));
  try {
    const raw = rawInserts(await migratedFile(folder, 'baseline.sqlite'));
    const baseline = raw.rowsPerSecond;
    const single = await queueJobsPerSecond(await migratedFile(folder, 'single.sqlite'), 1);
    const measured = await queueJobsPerSecond(await migratedFile(folder, 'queue.sqlite'), concurrentProducers);
    const ratio = measured.jobsPerSecond / baseline;
    const describe = (figures: QueueFigures) =>
      `${Math.round(figures.jobsPerSecond)} jobs/s, ${figures.cpuMicrosPerJob} µs CPU/job; ` +
      `enqueue → handler start p50 ${figures.p50} ms, p99 ${figures.p99} ms`;
    console.log(
      `jobs: ${jobCount}, worker concurrency ${concurrency}, producers yield every ${producerChunk} enqueues`,
    );
    console.log(
      `baseline (raw better-sqlite3 single-row autocommit inserts): ${Math.round(baseline)} rows/s, ${raw.cpuMicrosPerRow} µs CPU/row`,
    );
    console.log(`embedded queue, 1 producer, enqueue → handled: ${describe(single)}`);
    console.log(`embedded queue, ${concurrentProducers} producers, enqueue → handled: ${describe(measured)}`);
    console.log(`ratio queue (${concurrentProducers} producers)/baseline: ${ratio.toFixed(3)}`);
    const result = {
      name: 'sqlite_job_queue_throughput',
      value: Math.round(measured.jobsPerSecond),
      unit: 'jobs/s',
      baseline: Math.round(baseline),
      ratio: Math.round(ratio * 1000) / 1000,
      target: `>= ${targetJobsPerSecond} jobs/s`,
      met: measured.jobsPerSecond >= targetJobsPerSecond,
    };
    console.log(`RESULT ${JSON.stringify(result)}`);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

void main();
