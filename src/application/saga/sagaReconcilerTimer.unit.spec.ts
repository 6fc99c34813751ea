import type { Logger } from '../ports/logger';
import type { ReconcilerScan, SagaReconciler } from './sagaReconciler';
import { startSagaReconciler } from './sagaReconcilerTimer';

/** The timer around the reconciler's scans: one at a time, through failures, until stopped. */
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const emptyScan = (startedAt: string): ReconcilerScan => ({
  startedAt,
  idleSagas: 0,
  loadedSagas: 0,
  redriven: [],
  durationMs: 1,
});

function recordingLogger(lines: string[]): Logger {
  const logger: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: (_fields, message) => void lines.push(message ?? ''),
    error: (_fields, message) => void lines.push(message ?? ''),
    child: () => logger,
  };
  return logger;
}

describe('startSagaReconciler', () => {
  it('scans again after a scan that failed, logging why, and never runs two scans at once', async () => {
    const lines: string[] = [];
    const calls = { started: 0, running: 0, mostAtOnce: 0 };
    const reconciler: SagaReconciler = {
      scan: async () => {
        calls.started += 1;
        calls.running += 1;
        calls.mostAtOnce = Math.max(calls.mostAtOnce, calls.running);
        try {
          await sleep(30); // longer than the interval
          if (calls.started === 1) throw new Error('connect ECONNREFUSED 127.0.0.1:3306');
          return emptyScan(`scan ${calls.started}`);
        } finally {
          calls.running -= 1;
        }
      },
    };
    const running = startSagaReconciler(reconciler, { intervalMs: 10, logger: recordingLogger(lines) });
    while (calls.started < 3) await sleep(5);
    await running.stop();

    expect(calls.mostAtOnce).toBe(1);
    expect(lines).toEqual(['reconciler scan failed; the next one tries again in 10 ms']);
    expect(running.lastScan()?.startedAt).toMatch(/^scan [23]$/);
  });

  it('stops after the scan running, and starts none after', async () => {
    let finished = 0;
    let started = 0;
    const reconciler: SagaReconciler = {
      scan: async () => {
        started += 1;
        await sleep(40);
        finished += 1;
        return emptyScan('now');
      },
    };
    const running = startSagaReconciler(reconciler, { intervalMs: 5, logger: recordingLogger([]) });
    while (started === 0) await sleep(2);
    await running.stop();
    expect(finished).toBe(started);
    await sleep(50);
    expect(started).toBe(finished);
  });
});
