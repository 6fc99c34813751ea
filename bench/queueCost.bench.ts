/**
 * What one job costs each queue adapter: jobs/s and CPU µs per job (enqueued in bulks of 100,
 * claimed, handled with no work, completed; worker concurrency 32), beside a same-run raw figure.
 *
 * BullMQ: CPU of this node process (process.cpuUsage) plus CPU of redis-server (utime + stime from
 * /proc/<pid>/stat, in ticks of 10 ms; the pid comes from INFO server), and the Redis commands this
 * process sent per job. Each row changes one BullMQ option from the adapter's old settings, so a
 * row's difference to the first is that option's cost; the adapter row is the adapter as it is.
 * Baseline: the same jobs through raw ioredis, LPUSH (pipelined by 100) + BRPOPLPUSH + LREM, the
 * fewest round trips a reliable Redis list queue can make.
 *
 * SQLite (in-process, so its CPU is this process's): the adapter, against the queue's own SQL run
 * bare (insert in transactions of 100; complete the last batch and claim the next 32 in one
 * transaction), with completed rows kept (the old way) or deleted.
 *
 * Redis is shared: other clients' work during a run lands in redis-server's figure. Each row is run
 * `BENCH_QUEUE_REPEAT` times (5) interleaved with the others, after one uncounted warm-up round,
 * and the median is printed.
 *
 *   npm run bench:queue [-- jobs]     (Redis at REDIS_URL or TEST_REDIS_URL, default 127.0.0.1:6379)
 */
import { sampleStepJob } from '../src/testing/sampleJobs';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Queue, Worker, type JobsOptions, type QueueOptions, type WorkerOptions } from 'bullmq';
import Redis from 'ioredis';
import { jobIdOf, type FulfillmentJob, type JobQueue } from '../src/application/ports/jobQueue';
import { configureSqliteConnection, createKnex } from '../src/infrastructure/database/knexClient';
import { migrateToLatest } from '../src/infrastructure/database/migrate';
import { BullmqJobQueue, defaultQueueName } from '../src/infrastructure/queue/bullmqJobQueue';
import { SqliteJobQueue } from '../src/infrastructure/queue/sqliteJobQueue';
import { prepareJobStatements } from '../src/infrastructure/queue/sqliteJobStatements';
import { runBench } from './support/benchMain';

const redisUrl = process.env.REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const jobCount = Number(process.argv[2] ?? 10_000);
const repeat = Number(process.env.BENCH_QUEUE_REPEAT ?? 5);
const bulk = 100;
const concurrency = 32;
/** The producer stays at most this many jobs ahead of the worker, as a live saga reactor would. */
const maxAhead = 2_000;
const retry = { attempts: 5, backoffMs: 200 };

const stepJob = (run: number, index: number): FulfillmentJob =>
  sampleStepJob({
    name: 'ReserveInventory',
    sagaId: `0b5c7f0e-${String(run).padStart(4, '0')}-4000-8000-${String(index).padStart(12, '0')}`,
    orderId: `order-${index}`,
    causationId: `event-${index}`,
  });

type Figures = Readonly<{ jobsPerSecond: number; nodeMicros: number; redisMicros: number; commands: number }>;
const total = (figures: Figures) => figures.nodeMicros + figures.redisMicros;

// ---------------------------------------------------------------------------------------------
// Measuring

/** Commands this process sends to Redis, counted where ioredis sends every one (pipelines too). */
let commandsSent = 0;
const sendCommand = Redis.prototype.sendCommand;
Redis.prototype.sendCommand = function countedSendCommand(this: Redis, ...args: Parameters<Redis['sendCommand']>) {
  commandsSent += 1;
  return sendCommand.apply(this, args);
};

/** redis-server's CPU in µs, or undefined when its /proc entry cannot be read (another host). */
let redisPid: number | undefined;
function redisCpuMicros(): number | undefined {
  if (redisPid === undefined) return undefined;
  try {
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const stat = readFileSync(`/proc/${redisPid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return undefined;
  }
}

async function findRedisPid(): Promise<void> {
  const client = new Redis(redisUrl);
  try {
    const pid = Number(/process_id:(\d+)/.exec(await client.info('server'))?.[1]);
    if (pid && readFileSync(`/proc/${pid}/stat`, 'utf8').includes('redis-server')) redisPid = pid;
  } catch {
    redisPid = undefined;
  } finally {
    client.disconnect();
  }
}

/** Runs `body` (which enqueues and handles `jobCount` jobs) and measures it. */
async function measure(body: () => Promise<void>): Promise<Figures> {
  const redisAtStart = redisCpuMicros();
  const commandsAtStart = commandsSent;
  const cpuAtStart = process.cpuUsage();
  const started = performance.now();
  await body();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuAtStart);
  const redisAtEnd = redisCpuMicros();
  return {
    jobsPerSecond: jobCount / seconds,
    nodeMicros: (cpu.user + cpu.system) / jobCount,
    redisMicros: redisAtStart === undefined || redisAtEnd === undefined ? 0 : (redisAtEnd - redisAtStart) / jobCount,
    commands: (commandsSent - commandsAtStart) / jobCount,
  };
}

/** Counts handled jobs; `ahead()` holds a producer back while it is too far in front. */
function progress() {
  let handled = 0;
  let waiters: (() => void)[] = [];
  let finish = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  return {
    finished,
    count: () => handled,
    handled: () => {
      handled += 1;
      if (handled === jobCount) finish();
      if (waiters.length === 0) return;
      const wake = waiters;
      waiters = [];
      for (const resume of wake) resume();
    },
    ahead: async (produced: number) => {
      while (produced - handled > maxAhead) await new Promise<void>((resolve) => waiters.push(resolve));
    },
  };
}

/** Enqueues `jobCount` jobs in bulks of 100 through `send`, keeping at most `maxAhead` unhandled. */
async function produce(
  run: number,
  send: (jobs: FulfillmentJob[]) => Promise<unknown>,
  ahead: (produced: number) => Promise<void>,
) {
  for (let start = 0; start < jobCount; start += bulk) {
    await ahead(start);
    await send(Array.from({ length: Math.min(bulk, jobCount - start) }, (_, index) => stepJob(run, start + index)));
  }
}

let runSequence = 0;
const uniquePrefix = () => `bench-queuecost-${Date.now().toString(36)}-${++runSequence}`;

async function obliterate(prefix: string): Promise<void> {
  const queue = new Queue(defaultQueueName, { connection: { url: redisUrl }, prefix });
  try {
    await queue.obliterate({ force: true });
  } finally {
    await queue.close();
  }
}

// ---------------------------------------------------------------------------------------------
// BullMQ

type BullmqSettings = Readonly<{ queue: Partial<QueueOptions>; worker: Partial<WorkerOptions>; job: JobsOptions }>;

/** The adapter's settings before this benchmark was written (commit 7cc4c1e). */
const oldSettings: BullmqSettings = {
  queue: { streams: { events: { maxLen: 0 } } },
  worker: { maxStalledCount: 3 },
  job: {
    attempts: retry.attempts,
    backoff: { type: 'exponential', delay: retry.backoffMs, jitter: 0.5 },
    removeOnComplete: { age: 86_400, count: 100_000 },
    removeOnFail: false,
  },
};

const bullmqVariants: readonly Readonly<{ label: string; settings: BullmqSettings }>[] = [
  { label: 'old settings (completed kept a day, events maxLen 0, 30 s lock)', settings: oldSettings },
  {
    // 10,000 jobs a run never fill a 100,000 cap; at 3,000 jobs/s it is full after 33 s (so "a day"
    // was never so), and from then on each completion also evicts the oldest kept job.
    label: 'old, completed set at its count cap (each completion evicts one)',
    settings: { ...oldSettings, job: { ...oldSettings.job, removeOnComplete: { age: 86_400, count: 1_000 } } },
  },
  {
    label: 'old + removeOnComplete: true',
    settings: { ...oldSettings, job: { ...oldSettings.job, removeOnComplete: true } },
  },
  { label: 'old + events stream at its default (10,000)', settings: { ...oldSettings, queue: {} } },
  {
    label: 'old + 5 s lock, stall check every 2.5 s',
    settings: { ...oldSettings, worker: { ...oldSettings.worker, lockDuration: 5_000, stalledInterval: 2_500 } },
  },
  {
    label: 'new settings (removeOnComplete: true, 5 s lock, 2.5 s stall check)',
    settings: {
      ...oldSettings,
      worker: { ...oldSettings.worker, lockDuration: 5_000, stalledInterval: 2_500 },
      job: { ...oldSettings.job, removeOnComplete: true },
    },
  },
  {
    label: 'old + metrics on (what not to do)',
    settings: { ...oldSettings, worker: { ...oldSettings.worker, metrics: { maxDataPoints: 60 } } },
  },
];

async function runBullmq(settings: BullmqSettings): Promise<Figures> {
  const prefix = uniquePrefix();
  const run = runSequence;
  const queue = new Queue<FulfillmentJob>(defaultQueueName, {
    connection: { url: redisUrl },
    prefix,
    ...settings.queue,
  });
  const counter = progress();
  const worker = new Worker<FulfillmentJob>(defaultQueueName, async () => void counter.handled(), {
    connection: { url: redisUrl, maxRetriesPerRequest: null },
    prefix,
    concurrency,
    ...settings.worker,
  });
  await Promise.all([queue.waitUntilReady(), worker.waitUntilReady()]);
  try {
    return await measure(async () => {
      await produce(
        run,
        (jobs) =>
          queue.addBulk(
            jobs.map((job) => ({ name: job.kind, data: job, opts: { ...settings.job, jobId: jobIdOf(job) } })),
          ),
        counter.ahead,
      );
      await counter.finished;
    });
  } finally {
    await worker.close();
    await queue.close();
    await obliterate(prefix);
  }
}

/** The adapter itself, its options as createJobQueue would give them. */
async function runBullmqAdapter(): Promise<Figures> {
  const prefix = uniquePrefix();
  return runAdapter(runSequence, new BullmqJobQueue({ redisUrl, prefix, retry }), () => obliterate(prefix));
}

async function runAdapter(run: number, queue: JobQueue, cleanup: () => Promise<void>): Promise<Figures> {
  const counter = progress();
  const worker = await queue.startWorker(
    { handle: async () => void counter.handled(), onFailed: async () => {} },
    { concurrency },
  );
  try {
    return await measure(async () => {
      await produce(run, (jobs) => queue.enqueueMany(jobs.map((job) => ({ job }))), counter.ahead);
      await counter.finished;
    });
  } finally {
    await worker.close();
    await queue.close();
    await cleanup();
  }
}

/**
 * Baseline: a reliable list queue in raw ioredis. The producer pipelines 100 LPUSHes; each of 32
 * consumers, on its own connection, BRPOPLPUSHes a job to a processing list, handles it, and
 * LREMs it from there. Three commands a job, two of them a round trip each.
 */
async function runRawRedis(): Promise<Figures> {
  const prefix = uniquePrefix();
  const run = runSequence;
  const [waiting, processing] = [`${prefix}:wait`, `${prefix}:processing`];
  const producer = new Redis(redisUrl);
  const consumers = Array.from({ length: concurrency }, () => new Redis(redisUrl, { maxRetriesPerRequest: null }));
  await Promise.all([producer, ...consumers].map((client) => client.ping()));
  const counter = progress();
  let stopping = false;
  const consume = async (client: Redis) => {
    while (!stopping) {
      const payload = await client.brpoplpush(waiting, processing, 1);
      if (payload === null) continue;
      JSON.parse(payload);
      await Promise.resolve();
      await client.lrem(processing, -1, payload);
      counter.handled();
    }
  };
  let consuming: Promise<void>[] = [];
  try {
    return await measure(async () => {
      consuming = consumers.map(consume);
      await produce(
        run,
        (jobs) => {
          const pipeline = producer.pipeline();
          for (const job of jobs) pipeline.lpush(waiting, JSON.stringify(job));
          return pipeline.exec();
        },
        counter.ahead,
      );
      await counter.finished;
    });
  } finally {
    // The consumers' last blocking call ends within its 1 s timeout, outside the figures.
    stopping = true;
    await Promise.allSettled(consuming);
    await producer.del(waiting, processing);
    producer.disconnect();
    for (const client of consumers) client.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// SQLite

async function migratedFile(folder: string): Promise<string> {
  const filename = join(folder, `queue-${++runSequence}.sqlite`);
  const db = createKnex(`sqlite:${filename}`);
  await migrateToLatest(db, 'eventStore');
  await db.destroy();
  return filename;
}

async function runSqliteAdapter(folder: string): Promise<Figures> {
  const filename = await migratedFile(folder);
  return runAdapter(runSequence, SqliteJobQueue.fromFile(filename, { retry }), async () => {});
}

/**
 * The embedded queue's SQL with nothing around it: inserts in transactions of 100, then one
 * transaction per tick that completes the previous 32 jobs and claims the next 32, until all are
 * done. Completion either keeps the row as `done` (the queue before) or deletes it.
 */
async function runRawSqlite(folder: string, completion: 'keep' | 'delete'): Promise<Figures> {
  const filename = await migratedFile(folder);
  const run = runSequence;
  const db = new Database(filename);
  configureSqliteConnection(db);
  const statements = prepareJobStatements(db);
  // The old completion (a `done` row kept a day) beside the queue's own (the row deleted).
  const keepAsDone = db.prepare<[number, string, string]>(
    `UPDATE queue_jobs SET status = 'done', finished_at = ?, last_error = NULL, lease_owner = NULL
     WHERE job_id = ? AND status = 'active' AND lease_owner = ?`,
  );
  const complete =
    completion === 'keep'
      ? (jobId: string, owner: string) => keepAsDone.run(Date.now(), jobId, owner)
      : (jobId: string, owner: string) => statements.complete.run(jobId, owner);
  const insertBulk = db.transaction((jobs: FulfillmentJob[]) => {
    const now = Date.now();
    for (const job of jobs) statements.insert.run(jobIdOf(job), JSON.stringify(job), 5, 200, now, now);
  });
  const owner = 'bench';
  const tick = db.transaction((finished: readonly string[]) => {
    for (const jobId of finished) complete(jobId, owner);
    const now = Date.now();
    return statements.claim.all({ now, leaseUntil: now + 60_000, owner, limit: concurrency });
  });
  try {
    const counter = progress();
    return await measure(async () => {
      let finished: string[] = [];
      const producing = produce(run, async (jobs) => insertBulk(jobs), counter.ahead);
      while (counter.count() < jobCount) {
        const claimed = tick(finished);
        finished = [];
        for (const row of claimed) {
          JSON.parse(row.job);
          await Promise.resolve();
          finished.push(row.job_id);
          counter.handled();
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
      tick(finished);
      await producing;
    });
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The depth gauge: JobQueue.depth() runs on every /metrics scrape and /readyz probe.

const depthCalls = 500;

/** CPU per depth() call (node, and redis-server for BullMQ) on a queue holding 1,000 waiting jobs. */
async function depthCost(queue: JobQueue, cleanup: () => Promise<void>): Promise<Figures> {
  try {
    await queue.enqueueMany(Array.from({ length: 1_000 }, (_, index) => ({ job: stepJob(999, index) })));
    await queue.depth();
    const redisAtStart = redisCpuMicros();
    const cpuAtStart = process.cpuUsage();
    for (let call = 0; call < depthCalls; call += 1) await queue.depth();
    const cpu = process.cpuUsage(cpuAtStart);
    const redisAtEnd = redisCpuMicros();
    return {
      jobsPerSecond: 0,
      nodeMicros: (cpu.user + cpu.system) / depthCalls,
      redisMicros:
        redisAtStart === undefined || redisAtEnd === undefined ? 0 : (redisAtEnd - redisAtStart) / depthCalls,
      commands: 0,
    };
  } finally {
    await queue.close();
    await cleanup();
  }
}

// ---------------------------------------------------------------------------------------------

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function medianOf(runs: readonly (() => Promise<Figures>)[]): Promise<Figures[]> {
  const results: Figures[][] = runs.map(() => []);
  // Round 0 warms the JIT up and is not counted: the first runs of a path cost several times more.
  for (let round = 0; round <= repeat; round += 1) {
    for (const [index, run] of runs.entries()) {
      await new Promise((resolve) => setTimeout(resolve, 250)); // let the last run's teardown settle
      const figures = await run();
      if (round > 0) results[index]!.push(figures);
    }
  }
  return results.map((figures) => ({
    jobsPerSecond: median(figures.map((f) => f.jobsPerSecond)),
    nodeMicros: median(figures.map((f) => f.nodeMicros)),
    redisMicros: median(figures.map((f) => f.redisMicros)),
    commands: median(figures.map((f) => f.commands)),
  }));
}

const line = (label: string, figures: Figures, withRedis: boolean) =>
  `  ${label.padEnd(68)} ${String(Math.round(figures.jobsPerSecond)).padStart(6)} jobs/s  ` +
  `${figures.nodeMicros.toFixed(0).padStart(4)} µs node` +
  (withRedis
    ? ` + ${figures.redisMicros.toFixed(0).padStart(3)} µs redis = ${total(figures).toFixed(0).padStart(4)} µs/job, ` +
      `${figures.commands.toFixed(2)} commands/job`
    : ' CPU/job');

const resultLine = (name: string, value: number, baseline: number) =>
  `RESULT ${JSON.stringify({
    name,
    value: Math.round(value),
    unit: 'µs/job',
    baseline: Math.round(baseline),
    ratio: Math.round((value / baseline) * 100) / 100,
    target: 'report',
    met: true,
  })}`;

async function main() {
  await findRedisPid();
  console.log(
    `${jobCount} jobs per run, bulks of ${bulk}, worker concurrency ${concurrency}, median of ${repeat} runs; ` +
      (redisPid ? `redis-server pid ${redisPid}` : 'redis-server CPU not readable (not on this host): counted as 0'),
  );

  // Raw ioredis last: the run after it came out slower whichever it was (its 32 connections'
  // teardown, say), and a row order that favours no BullMQ row keeps them comparable.
  const [adapter, ...others] = await medianOf([
    runBullmqAdapter,
    ...bullmqVariants.map((variant) => () => runBullmq(variant.settings)),
    runRawRedis,
  ]);
  const variants = others.slice(0, bullmqVariants.length);
  const raw = others.at(-1);
  console.log('BullMQ (Redis)');
  console.log(line('baseline: raw ioredis LPUSH + BRPOPLPUSH + LREM', raw!, true));
  for (const [index, variant] of bullmqVariants.entries()) console.log(line(variant.label, variants[index]!, true));
  console.log(line('the adapter (BullmqJobQueue) as it is', adapter!, true));

  const folder = mkdtempSync(join(tmpdir(), 'queuecost-bench-'));
  try {
    const [rawKeep, rawDelete, sqlite] = await medianOf([
      () => runRawSqlite(folder, 'keep'),
      () => runRawSqlite(folder, 'delete'),
      () => runSqliteAdapter(folder),
    ]);
    console.log('SQLite (embedded, in this process)');
    console.log(line('baseline: its SQL bare, completed rows kept as done', rawKeep!, false));
    console.log(line('baseline: its SQL bare, completed rows deleted', rawDelete!, false));
    console.log(line('the adapter (SqliteJobQueue) as it is', sqlite!, false));

    const prefix = uniquePrefix();
    const bullmqDepth = await depthCost(new BullmqJobQueue({ redisUrl, prefix, retry }), () => obliterate(prefix));
    const sqliteDepth = await depthCost(SqliteJobQueue.fromFile(await migratedFile(folder), { retry }), async () => {});
    console.log(
      `depth() with 1,000 jobs waiting: BullMQ ${bullmqDepth.nodeMicros.toFixed(0)} µs node + ` +
        `${bullmqDepth.redisMicros.toFixed(0)} µs redis per call; SQLite ${sqliteDepth.nodeMicros.toFixed(0)} µs per call`,
    );

    console.log(resultLine('bullmq_cpu_per_job', total(adapter!), total(raw!)));
    console.log(resultLine('bullmq_redis_cpu_per_job', adapter!.redisMicros, raw!.redisMicros));
    console.log(resultLine('sqlite_queue_cpu_per_job', sqlite!.nodeMicros, rawDelete!.nodeMicros));
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

runBench(async () => {
  await main();
  return 0;
});
