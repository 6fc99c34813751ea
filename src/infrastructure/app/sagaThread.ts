import { Worker } from 'node:worker_threads';
import type { Service } from './buildService';
import type { FollowerStatus } from './roleProgress';

/**
 * `npm start` uses both cores: the HTTP API stays on the main thread, so that commands answer fast
 * while sagas run, and the saga's roles (reactor, workers, projection) run in a worker thread with
 * connections of their own (sagaThreadMain.ts). Appends wake the other thread's followers at once
 * (AppendNotifier); /metrics shows both threads' counters.
 *
 * The thread stops with the service (its shutdown runs before the main thread's connections
 * close). Should it end on its own, the saga's work has stopped while the API would go on taking
 * orders: `onDeath` is told, and the process should exit so that whatever supervises it restarts it.
 */
export type SagaThreadMessage =
  | Readonly<{ type: 'ready' }>
  | Readonly<{ type: 'failed'; message: string }>
  | Readonly<{ type: 'metrics'; id: number; metrics: object[] }>
  | Readonly<{ type: 'followers'; id: number; followers: readonly FollowerStatus[] }>;

export type MainThreadMessage = Readonly<{ type: 'stop' }> | Readonly<{ type: 'metrics' | 'followers'; id: number }>;

export async function startSagaThread(service: Service, onDeath: (reason: string) => void): Promise<void> {
  const worker = threadOf(require.resolve('./sagaThreadMain'), { config: service.config });
  let stopping = false;
  const replies = new Map<number, (answer: unknown) => void>();
  let nextRequest = 0;
  /** Asks the thread; a thread too busy or gone to answer within a second counts as answering `fallback`. */
  const ask = <T>(type: 'metrics' | 'followers', fallback: T) =>
    new Promise<T>((resolve) => {
      const id = ++nextRequest;
      const timer = setTimeout(() => finish(fallback), 1_000);
      const finish = (answer: unknown) => {
        clearTimeout(timer);
        replies.delete(id);
        resolve(answer as T);
      };
      replies.set(id, finish);
      worker.postMessage({ type, id } satisfies MainThreadMessage);
    });

  await new Promise<void>((resolve, reject) => {
    worker.on('message', (message: SagaThreadMessage) => {
      if (message.type === 'ready') resolve();
      if (message.type === 'failed') reject(new Error(`the saga thread did not start: ${message.message}`));
      if (message.type === 'metrics') replies.get(message.id)?.(message.metrics);
      if (message.type === 'followers') replies.get(message.id)?.(message.followers);
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      reject(new Error(`the saga thread exited (code ${code}) before it was ready`));
      if (!stopping) onDeath(`the saga thread exited with code ${code}: the reactor and workers have stopped`);
    });
  });
  worker.on('error', (error) => service.logger.error({ err: error }, 'the saga thread failed'));

  service.metrics.addRegistry(() => ask<object[]>('metrics', []));
  const silent: FollowerStatus = { subscription: 'saga thread', state: 'retrying', position: 0, error: 'no answer' };
  service.progress.addSource(() => ask<readonly FollowerStatus[]>('followers', [silent]));
  service.onClose(async () => {
    stopping = true;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.postMessage({ type: 'stop' } satisfies MainThreadMessage);
    await exited;
  });
}

/** A worker thread on a module; from TypeScript sources the thread registers tsx first, as `npm start` does. */
function threadOf(module: string, workerData: object): Worker {
  if (!module.endsWith('.ts')) return new Worker(module, { workerData });
  return new Worker(`require('tsx/cjs'); require(${JSON.stringify(module)});`, { eval: true, workerData });
}
