import { jobIdOf } from '../../../application/ports/jobQueue';
import { openQueue, type QueueSpec } from './queueSpec';

/**
 * A queue worker in a process of its own, for crash tests (spawnQueueWorker.ts):
 *
 *   node --import tsx queueWorkerProcess.ts '<QueueSpec as JSON>'
 *
 * It runs one job at a time. Its handler writes a JSON line `{"event":"started",...}` to stdout
 * and then never finishes, so the test can kill the process in the middle of a job; `onFailed`
 * writes `{"event":"failed",...}`.
 */
const report = (line: Readonly<Record<string, unknown>>) => process.stdout.write(`${JSON.stringify(line)}\n`);

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '') as QueueSpec;
  const queue = openQueue(spec);
  await queue.startWorker(
    {
      handle: (job, { attempt }) => {
        report({ event: 'started', jobId: jobIdOf(job), attempt });
        return new Promise<void>(() => {});
      },
      onFailed: async (job, error) => void report({ event: 'failed', jobId: jobIdOf(job), error: error.message }),
    },
    { concurrency: 1 },
  );
  report({ event: 'ready' });
}

main().catch((error: unknown) => {
  process.stderr.write(`queueWorkerProcess: ${String((error as Error)?.stack ?? error)}\n`);
  process.exit(1);
});
