import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { QueueSpec } from './queueSpec';

export type StartedJob = Readonly<{ jobId: string; attempt: number }>;

export type QueueWorkerProcess = Readonly<{
  /** The first job the child's worker started; rejects if the child exits or `timeoutMs` passes first. */
  started(timeoutMs: number): Promise<StartedJob>;
  /** SIGKILL, resolved once the process is gone. */
  kill(): Promise<void>;
}>;

const root = join(__dirname, '..', '..', '..', '..');

/** Starts queueWorkerProcess.ts in a child process on the queue `spec` describes. */
export function spawnQueueWorker(spec: QueueSpec): QueueWorkerProcess {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(__dirname, 'queueWorkerProcess.ts'), JSON.stringify(spec)],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const firstStart = new Promise<StartedJob>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const message = JSON.parse(line) as { event: string; jobId: string; attempt: number };
      if (message.event === 'started') resolve({ jobId: message.jobId, attempt: message.attempt });
    });
    void exited.then(() => reject(new Error(`the worker process exited before it started a job: ${stderr}`)));
  });
  firstStart.catch(() => undefined);
  return {
    started: (timeoutMs) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`the worker process started no job within ${timeoutMs} ms: ${stderr}`)),
          timeoutMs,
        );
      });
      return Promise.race([firstStart, timeout]).finally(() => clearTimeout(timer));
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
