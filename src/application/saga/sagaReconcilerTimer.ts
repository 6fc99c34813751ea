import type { Logger } from '../ports/logger';
import type { ReconcilerScan, SagaReconciler } from './sagaReconciler';

/**
 * Runs the reconciler's scans one after another, `intervalMs` apart (from the end of one to the
 * start of the next, so scans never overlap). A scan that fails — the database or the queue away —
 * is logged and the next one tries again: the reconciler is there for outages, it must outlive them.
 */
export type RunningSagaReconciler = Readonly<{
  /** The last scan that finished, for /readyz details; undefined before the first. */
  lastScan(): ReconcilerScan | undefined;
  /** Stops after the scan running, if any. */
  stop(): Promise<void>;
}>;

export function startSagaReconciler(
  reconciler: SagaReconciler,
  { intervalMs, logger }: Readonly<{ intervalMs: number; logger: Logger }>,
): RunningSagaReconciler {
  const state: { timer?: NodeJS.Timeout; running?: Promise<void>; last?: ReconcilerScan; stopped: boolean } = {
    stopped: false,
  };

  const scanOnce = async () => {
    try {
      const scan = await reconciler.scan();
      state.last = scan;
      const summary = { idleSagas: scan.idleSagas, loadedSagas: scan.loadedSagas, durationMs: scan.durationMs };
      if (scan.redriven.length > 0) {
        logger.warn({ ...summary, redriven: scan.redriven.length }, `reconciler re-drove ${scan.redriven.length} jobs`);
      } else logger.debug(summary, 'reconciler scan found nothing to re-drive');
    } catch (error) {
      logger.warn({ err: error }, `reconciler scan failed; the next one tries again in ${intervalMs} ms`);
    }
  };

  const schedule = () => {
    if (state.stopped) return;
    state.timer = setTimeout(() => {
      state.running = scanOnce().finally(() => {
        state.running = undefined;
        schedule();
      });
    }, intervalMs);
  };

  schedule();
  logger.info({ intervalMs }, 'saga reconciler started');
  return {
    lastScan: () => state.last,
    stop: async () => {
      state.stopped = true;
      clearTimeout(state.timer);
      await state.running;
    },
  };
}
