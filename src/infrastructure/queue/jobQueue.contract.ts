import { sampleStepJob } from '../../testing/sampleJobs';
import {
  jobIdOf,
  NonRetryableJobError,
  RetryLaterError,
  type FulfillmentJob,
  type JobHandlers,
  type JobQueue,
  type QueueWorker,
} from '../../application/ports/jobQueue';
import type { QueueSpec } from './testing/queueSpec';
import { spawnQueueWorker, type QueueWorkerProcess } from './testing/spawnQueueWorker';

/**
 * The one contract every JobQueue adapter passes (BullMQ's adapter-conformance idea): the spec
 * files of each adapter call `describeJobQueueContract` with a factory for fresh, empty storage.
 * `reopen` builds a new queue on the same storage, as a restarted process would. `spec` says how
 * to open that queue in another process (the crash tests kill a worker process mid-job); its short
 * lease (about a second) keeps those tests fast.
 */
export type JobQueueFixture = Readonly<{
  queue: JobQueue;
  reopen(): Promise<JobQueue>;
  spec: QueueSpec;
  cleanup(): Promise<void>;
}>;

const fastRetry = { attempts: 5, backoffMs: 15 };

let sequence = 0;
const stepJob = (label: string): FulfillmentJob =>
  sampleStepJob({
    name: 'ReserveInventory',
    sagaId: `saga-${label}-${process.pid}-${++sequence}`,
    orderId: `order-${sequence}`,
    causationId: `event-${sequence}`,
  });

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function eventually(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await sleep(5);
  }
}

async function probeUntil<T>(probe: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(10);
  }
}

type Run = Readonly<{ jobId: string; attempt: number; at: number }>;
type Failure = Readonly<{ jobId: string; job: FulfillmentJob; error: Error }>;

/** Handlers that record every call; `behaviour` decides what each try does. */
function recordingHandlers(behaviour: (job: FulfillmentJob, attempt: number) => Promise<void> = async () => {}) {
  const runs: Run[] = [];
  const failures: Failure[] = [];
  const handlers: JobHandlers = {
    async handle(job, { attempt }) {
      runs.push({ jobId: jobIdOf(job), attempt, at: Date.now() });
      await behaviour(job, attempt);
    },
    async onFailed(job, error) {
      failures.push({ jobId: jobIdOf(job), job, error });
    },
  };
  const runsOf = (job: FulfillmentJob) => runs.filter((run) => run.jobId === jobIdOf(job));
  return { handlers, runs, failures, runsOf };
}

export function describeJobQueueContract(name: string, factory: () => Promise<JobQueueFixture>): void {
  describe(`JobQueue contract: ${name}`, () => {
    let fixture: JobQueueFixture | undefined;
    let queue: JobQueue;
    const workers: QueueWorker[] = [];
    const processes: QueueWorkerProcess[] = [];
    const startWorkerProcess = () => {
      const child = spawnQueueWorker(fixture!.spec);
      processes.push(child);
      return child;
    };
    const startWorker = async (handlers: JobHandlers, concurrency = 4) => {
      const worker = await queue.startWorker(handlers, { concurrency });
      workers.push(worker);
      return worker;
    };

    beforeEach(async () => {
      fixture = undefined;
      fixture = await factory();
      queue = fixture.queue;
    });

    afterEach(async () => {
      if (!fixture) return; // the factory failed, and said why
      await Promise.all(processes.splice(0).map((child) => child.kill()));
      await Promise.all(workers.splice(0).map((worker) => worker.close()));
      await queue.close();
      await fixture.cleanup();
    });

    it('runs jobs with at most the given concurrency, and all of them', async () => {
      let runningNow = 0;
      let mostAtOnce = 0;
      const recorder = recordingHandlers(async () => {
        runningNow += 1;
        mostAtOnce = Math.max(mostAtOnce, runningNow);
        await sleep(60);
        runningNow -= 1;
      });
      const jobs = Array.from({ length: 6 }, () => stepJob('concurrency'));
      await queue.enqueueMany(jobs.map((job) => ({ job })));
      await startWorker(recorder.handlers, 2);

      await eventually(() => recorder.runs.length === 6 && runningNow === 0, 'all six jobs ran');
      expect(mostAtOnce).toBe(2);
      expect(new Set(recorder.runs.map((run) => run.jobId))).toEqual(new Set(jobs.map(jobIdOf)));
    });

    it('adds a job id once while the job waits or runs, and runs it again when it comes after it completed', async () => {
      let release = () => {};
      const released = new Promise<void>((resolve) => (release = resolve));
      const recorder = recordingHandlers(() => (recorder.runs.length === 1 ? released : Promise.resolve()));
      const job = stepJob('duplicate');
      await queue.enqueue(job);
      await queue.enqueue({ ...job, causationId: 'a-redelivered-event' });
      await startWorker(recorder.handlers);
      await eventually(() => recorder.runs.length === 1, 'the job started');
      await queue.enqueueMany([{ job }, { job }]);
      release();
      await probeUntil(
        () => queue.depth(),
        (depth) => depth.waiting + depth.active === 0,
        'the job completed',
      );
      await sleep(200);
      expect(recorder.runsOf(job)).toHaveLength(1);
      expect(recorder.runs[0]!.attempt).toBe(1);

      // A completed job's id is forgotten (handlers make a second run harmless).
      await queue.enqueue(job);
      await eventually(() => recorder.runs.length === 2, 'the job ran again');
      expect(recorder.runsOf(job).map((run) => run.attempt)).toEqual([1, 1]);
    });

    it('retries a transient error with growing delays until it succeeds', async () => {
      const recorder = recordingHandlers(async (_job, attempt) => {
        if (attempt <= 3) throw new Error(`participant unavailable (try ${attempt})`);
      });
      const job = stepJob('transient');
      await queue.enqueue(job, { retry: { attempts: 5, backoffMs: 20 } });
      await startWorker(recorder.handlers);

      await eventually(() => recorder.runs.length === 4, 'the fourth try ran');
      await sleep(100);
      const runs = recorder.runsOf(job);
      expect(runs.map((run) => run.attempt)).toEqual([1, 2, 3, 4]);
      const waits = runs.slice(1).map((run, index) => run.at - runs[index]!.at);
      // With jitter, try n waits at least 0.5 × 20 ms × 2^(n-1): 10, 20, 40 ms (a little timer slack
      // allowed). Only lower bounds: a loaded machine may stretch any wait, but never shorten one.
      expect(waits[0]).toBeGreaterThanOrEqual(8);
      expect(waits[1]).toBeGreaterThanOrEqual(18);
      expect(waits[2]).toBeGreaterThanOrEqual(38);
      expect(recorder.failures).toEqual([]);
      expect(await queue.deadLetters()).toEqual([]);
    });

    it('reports a job whose retries ran out once, and keeps it as a dead letter', async () => {
      const recorder = recordingHandlers(async () => {
        throw new Error('participant answered 503');
      });
      const job = stepJob('exhausted');
      await queue.enqueue(job, { retry: { attempts: 3, backoffMs: 10 } });
      await startWorker(recorder.handlers);

      await eventually(() => recorder.failures.length === 1, 'onFailed was called');
      await sleep(200);
      expect(recorder.runsOf(job).map((run) => run.attempt)).toEqual([1, 2, 3]);
      expect(recorder.failures).toHaveLength(1);
      expect(recorder.failures[0]!.job).toEqual(job);
      expect(recorder.failures[0]!.error.message).toBe('participant answered 503');

      const deadLetters = await queue.deadLetters();
      expect(deadLetters).toEqual([
        { jobId: jobIdOf(job), job, error: 'participant answered 503', attempts: 3, failedAt: expect.any(String) },
      ]);
      expect(Number.isNaN(Date.parse(deadLetters[0]!.failedAt))).toBe(false);
      expect((await queue.depth()).failed).toBe(1);
    });

    it('hands out dead letters newest first, a page at a time', async () => {
      const recorder = recordingHandlers(async () => {
        throw new NonRetryableJobError('rejected');
      });
      await startWorker(recorder.handlers, 1);
      const jobs = [stepJob('page'), stepJob('page'), stepJob('page')];
      for (const [index, job] of jobs.entries()) {
        await queue.enqueue(job);
        await probeUntil(
          () => queue.deadLetters(),
          (letters) => letters.length === index + 1,
          `${jobIdOf(job)} failed`,
        );
        await sleep(5); // distinct failure times, so newest first is one order
      }
      const all = await queue.deadLetters();
      expect(all.map((letter) => letter.jobId)).toEqual(jobs.map(jobIdOf).reverse());
      const first = await queue.deadLetters(2, 0);
      const second = await queue.deadLetters(2, 2);
      expect([...first, ...second]).toEqual(all);
      expect(await queue.deadLetters(2, 3)).toEqual([]);
    });

    it('says which job ids it holds: waiting, delayed or running as live, dead letters apart, completed ones not at all', async () => {
      const [waiting, delayed, running, failing, completing] = ['waiting', 'delayed', 'running', 'failing', 'done'].map(
        (label) => stepJob(`held-${label}`),
      ) as [FulfillmentJob, FulfillmentJob, FulfillmentJob, FulfillmentJob, FulfillmentJob];
      const neverAdded = jobIdOf(stepJob('held-never'));
      expect(await queue.heldJobs([])).toEqual(new Map());
      await queue.enqueue(waiting);
      await queue.enqueue(delayed, { delayMs: 60_000 });
      expect(await queue.heldJobs([jobIdOf(waiting), jobIdOf(delayed), neverAdded])).toEqual(
        new Map([
          [jobIdOf(waiting), 'live'],
          [jobIdOf(delayed), 'live'],
        ]),
      );

      let release = () => {};
      const released = new Promise<void>((resolve) => (release = resolve));
      const recorder = recordingHandlers(async (job) => {
        if (jobIdOf(job) === jobIdOf(running)) await released;
        if (jobIdOf(job) === jobIdOf(failing)) throw new NonRetryableJobError('rejected for good');
      });
      await queue.enqueueMany([{ job: running }, { job: failing }, { job: completing }]);
      await startWorker(recorder.handlers, 4);
      await eventually(() => recorder.runs.length === 4 && recorder.failures.length === 1, 'four jobs ran');
      await probeUntil(
        () => queue.heldJobs([jobIdOf(waiting), jobIdOf(completing)]),
        (held) => held.size === 0,
        'the completed jobs were forgotten',
      );
      expect(await queue.heldJobs([waiting, delayed, running, failing, completing].map(jobIdOf))).toEqual(
        new Map([
          [jobIdOf(delayed), 'live'],
          [jobIdOf(running), 'live'],
          [jobIdOf(failing), 'deadLettered'],
        ]),
      );

      release();
      await probeUntil(
        () => queue.heldJobs([jobIdOf(running)]),
        (held) => held.size === 0,
        'the running job completed and was forgotten',
      );
    });

    it('does not retry a NonRetryableJobError, and reports it once', async () => {
      const recorder = recordingHandlers(async () => {
        throw new NonRetryableJobError('INSUFFICIENT_STOCK for sku ABC');
      });
      const job = stepJob('rejected');
      await queue.enqueue(job, { retry: fastRetry });
      await startWorker(recorder.handlers);

      await eventually(() => recorder.failures.length === 1, 'onFailed was called');
      await sleep(200);
      expect(recorder.runsOf(job)).toHaveLength(1);
      expect(recorder.failures).toHaveLength(1);
      expect(recorder.failures[0]!.error).toBeInstanceOf(NonRetryableJobError);
      expect(await queue.deadLetters()).toEqual([
        expect.objectContaining({ jobId: jobIdOf(job), error: 'INSUFFICIENT_STOCK for sku ABC', attempts: 1 }),
      ]);
    });

    it('records the onFailed error beside the job error when onFailed itself throws', async () => {
      const job = stepJob('report-fails');
      await queue.enqueue(job, { retry: { attempts: 1, backoffMs: 10 } });
      await startWorker({
        handle: async () => {
          throw new Error('participant answered 500');
        },
        onFailed: async () => {
          throw new Error('event store unavailable');
        },
      });
      const deadLetters = await probeUntil(
        () => queue.deadLetters(),
        (letters) => letters.length > 0,
        'the job was dead-lettered',
      );
      expect(deadLetters).toHaveLength(1);
      expect(deadLetters[0]!.error).toContain('participant answered 500');
      expect(deadLetters[0]!.error).toContain('event store unavailable');
    });

    describe('a try deferred by RetryLaterError (an open circuit, our storage away)', () => {
      const later = (delayMs: number) => new RetryLaterError('test', delayMs, `deferred ${delayMs} ms`);

      it('runs the job again after the delay, more times than its attempts allow, its attempt not spent, and never dead-letters it', async () => {
        // Five deferrals of a job allowed two tries: more than its attempts, and more than the two
        // interruptions after which a job is dead-lettered, so a deferral counts as neither.
        const recorder = recordingHandlers(async () => {
          const run = recorder.runs.length;
          if (run === 1) throw later(300);
          if (run <= 5) throw later(15);
        });
        const job = stepJob('deferred');
        await queue.enqueue(job, { retry: { attempts: 2, backoffMs: 10 } });
        await startWorker(recorder.handlers);

        await eventually(() => recorder.runs.length === 1, 'the first try ran');
        await sleep(100);
        expect(await queue.depth()).toEqual({ waiting: 0, active: 0, delayed: 1, failed: 0 });
        await eventually(() => recorder.runs.length === 6, 'the sixth run went through');
        await probeUntil(
          () => queue.depth(),
          (depth) => depth.waiting + depth.active + depth.delayed === 0,
          'the job completed',
        );
        const runs = recorder.runsOf(job);
        expect(runs.map((run) => run.attempt)).toEqual([1, 1, 1, 1, 1, 1]);
        expect(runs[1]!.at - runs[0]!.at).toBeGreaterThanOrEqual(290);
        expect(recorder.failures).toEqual([]);
        expect(await queue.deadLetters()).toEqual([]);
      });

      it('counts only the tries that counted in the attempt its handler sees', async () => {
        // try 1 fails, try 2 is deferred twice and then fails, try 3 (the last allowed) succeeds.
        const script = ['fail', 'defer', 'defer', 'fail', 'succeed'] as const;
        const recorder = recordingHandlers(async () => {
          const step = script[recorder.runs.length - 1];
          if (step === 'fail') throw new Error('participant answered 503');
          if (step === 'defer') throw later(10);
        });
        const job = stepJob('deferred-counted');
        await queue.enqueue(job, { retry: { attempts: 3, backoffMs: 10 } });
        await startWorker(recorder.handlers);

        await eventually(() => recorder.runs.length === script.length, 'every run went through');
        await sleep(200);
        expect(recorder.runsOf(job).map((run) => run.attempt)).toEqual([1, 2, 2, 2, 3]);
        expect(recorder.failures).toEqual([]);
        expect(await queue.deadLetters()).toEqual([]);
      });

      it('defers the last try when onFailed throws it, and dead-letters the job only once the give-up is recorded', async () => {
        const job = stepJob('give-up-deferred');
        const reports: number[] = [];
        let deadLettersMeanwhile = -1;
        let runs = 0;
        const attemptsSeen: number[] = [];
        await queue.enqueue(job, { retry: { attempts: 2, backoffMs: 10 } });
        await startWorker({
          handle: async (_job, { attempt }) => {
            runs += 1;
            attemptsSeen.push(attempt);
            throw new Error('participant answered 500');
          },
          onFailed: async (_job, error) => {
            reports.push(Date.now());
            if (reports.length === 2) deadLettersMeanwhile = (await queue.deadLetters()).length;
            if (reports.length <= 2) throw later(20);
            expect(error.message).toBe('participant answered 500');
          },
        });
        const deadLetters = await probeUntil(
          () => queue.deadLetters(),
          (letters) => letters.length > 0,
          'the job was dead-lettered',
        );
        await sleep(200);
        expect(reports).toHaveLength(3);
        expect(deadLettersMeanwhile).toBe(0);
        // The last try runs again with each deferred report: the same attempt every time.
        expect({ runs, attemptsSeen }).toEqual({ runs: 4, attemptsSeen: [1, 2, 2, 2] });
        expect(deadLetters).toEqual([
          expect.objectContaining({ jobId: jobIdOf(job), error: 'participant answered 500', attempts: 2 }),
        ]);
      });
    });

    it('does not run a delayed job before its delay, and runs it after', async () => {
      const recorder = recordingHandlers();
      const job = stepJob('delayed');
      await startWorker(recorder.handlers);
      const enqueuedAt = Date.now();
      await queue.enqueue(job, { delayMs: 400 });

      await sleep(250);
      expect(recorder.runs).toEqual([]);
      expect((await queue.depth()).delayed).toBe(1);
      await eventually(() => recorder.runs.length === 1, 'the delayed job ran');
      expect(recorder.runs[0]!.at - enqueuedAt).toBeGreaterThanOrEqual(390);
    });

    it('keeps a delayed job across close and reopen (a restart)', async () => {
      const job = stepJob('durable');
      const enqueuedAt = Date.now();
      await queue.enqueue(job, { delayMs: 300 });
      await queue.close();

      queue = await fixture!.reopen();
      expect((await queue.depth()).delayed).toBe(1);
      const recorder = recordingHandlers();
      await startWorker(recorder.handlers);
      await eventually(() => recorder.runs.length === 1, 'the delayed job ran after the reopen');
      expect(recorder.runs[0]!.jobId).toBe(jobIdOf(job));
      expect(recorder.runs[0]!.at - enqueuedAt).toBeGreaterThanOrEqual(290);
    });

    it('counts waiting, active, delayed and failed jobs', async () => {
      expect(await queue.depth()).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
      const [slow, next, later] = [stepJob('slow'), stepJob('next'), stepJob('later')];
      await queue.enqueue(slow);
      await queue.enqueue(next);
      await queue.enqueue(later, { delayMs: 60_000 });
      expect(await queue.depth()).toEqual({ waiting: 2, active: 0, delayed: 1, failed: 0 });

      let release = () => {};
      const released = new Promise<void>((resolve) => (release = resolve));
      const recorder = recordingHandlers(() => released);
      await startWorker(recorder.handlers, 1);
      await eventually(() => recorder.runs.length === 1, 'the first job started');
      expect(await queue.depth()).toEqual({ waiting: 1, active: 1, delayed: 1, failed: 0 });
      release();
      await eventually(() => recorder.runs.length === 2, 'the second job started');
    });

    it('closing a worker waits for its running handler and takes no new job', async () => {
      let finished = false;
      const recorder = recordingHandlers(async () => {
        await sleep(250);
        finished = true;
      });
      const worker = await startWorker(recorder.handlers, 1);
      await queue.enqueue(stepJob('running'));
      await eventually(() => recorder.runs.length === 1, 'the job started');

      await worker.close();
      expect(finished).toBe(true);
      await queue.enqueue(stepJob('after-close'));
      await sleep(250);
      expect(recorder.runs).toHaveLength(1);
      expect((await queue.depth()).waiting).toBe(1);
    });

    describe('a worker process killed in the middle of a job (SIGKILL, child processes)', () => {
      /** SPEC §8: the job must run again within seconds, on the queue's lease, not on a timeout. */
      const redeliveryBoundMs = () => fixture!.spec.leaseMs + 3_000;
      const childStartTimeoutMs = 30_000;

      it('runs the job again within the lease and a few seconds, on a worker started after the kill (a restart)', async () => {
        const job = stepJob('killed-restart');
        await queue.enqueue(job, { retry: fastRetry });
        const child = startWorkerProcess();
        expect((await child.started(childStartTimeoutMs)).jobId).toBe(jobIdOf(job));
        await child.kill();
        const killedAt = Date.now();

        const recorder = recordingHandlers();
        await startWorker(recorder.handlers, 1);
        await eventually(() => recorder.runs.length === 1, 'the job ran again', redeliveryBoundMs() + 5_000);
        expect(recorder.runs[0]!.jobId).toBe(jobIdOf(job));
        expect(recorder.runs[0]!.at - killedAt).toBeLessThanOrEqual(redeliveryBoundMs());
        await sleep(200);
        expect(recorder.runs).toHaveLength(1);
        expect(recorder.failures).toEqual([]);
      });

      it('runs the job again within the lease and a few seconds, on a worker that was running all along', async () => {
        const job = stepJob('killed-live');
        await queue.enqueue(job, { retry: fastRetry });
        const child = startWorkerProcess();
        expect((await child.started(childStartTimeoutMs)).jobId).toBe(jobIdOf(job));
        const recorder = recordingHandlers();
        await startWorker(recorder.handlers, 1);
        await sleep(fixture!.spec.leaseMs);
        expect(recorder.runs).toEqual([]); // a live worker's claim holds
        await child.kill();
        const killedAt = Date.now();

        await eventually(() => recorder.runs.length === 1, 'the job ran again', redeliveryBoundMs() + 5_000);
        expect(recorder.runs[0]!.at - killedAt).toBeLessThanOrEqual(redeliveryBoundMs());
      });

      it('dead-letters a job that was running when its worker process was killed twice, without running it again', async () => {
        const job = stepJob('killed-twice');
        await queue.enqueue(job, { retry: { attempts: 1, backoffMs: 10 } });
        for (const time of ['first', 'second']) {
          const child = startWorkerProcess();
          expect({ time, jobId: (await child.started(childStartTimeoutMs)).jobId }).toEqual({
            time,
            jobId: jobIdOf(job),
          });
          await child.kill();
        }

        const recorder = recordingHandlers();
        await startWorker(recorder.handlers, 1);
        await eventually(() => recorder.failures.length === 1, 'onFailed was called', redeliveryBoundMs() + 5_000);
        expect(recorder.runs).toEqual([]);
        expect(recorder.failures[0]!.error.message).toMatch(/interrupted 2 times/);
        // onFailed runs before the dead letter is written (crash safety), so wait for it.
        const deadLetters = await probeUntil(
          () => queue.deadLetters(),
          (letters) => letters.length > 0,
          'the job was dead-lettered',
        );
        expect(deadLetters).toEqual([expect.objectContaining({ jobId: jobIdOf(job) })]);
      });
    });

    it('keeps a job that runs for several leases on its worker while the process is alive', async () => {
      const leaseMs = fixture!.spec.leaseMs;
      const recorder = recordingHandlers(() => sleep(leaseMs * 3));
      const job = stepJob('long-running');
      await queue.enqueue(job, { retry: fastRetry });
      await startWorker(recorder.handlers, 1);
      await eventually(() => recorder.runs.length === 1, 'the job started');
      // A second worker, idle, that would take the job over if its claim ever lapsed.
      await startWorker(recorder.handlers, 1);
      await probeUntil(
        () => queue.depth(),
        (depth) => depth.waiting + depth.active === 0,
        'the job completed',
      );
      await sleep(leaseMs * 2);
      expect(recorder.runs).toHaveLength(1);
      expect(recorder.failures).toEqual([]);
      expect(await queue.deadLetters()).toEqual([]);
    });
  });
}
