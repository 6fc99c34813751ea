import { SingleBar, Presets } from 'cli-progress';
import type { RebuildProgress } from '../readModel/projectionRebuild';

/** A progress bar for `projections rebuild`: position in the log, events/s, time left. */
export function rebuildProgressBar(projection: string) {
  const bar = new SingleBar(
    {
      format: `${projection} |{bar}| {percentage}% | {value}/{total} | {rate} events/s | ETA {eta_formatted}`,
      etaBuffer: 20,
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  const startedAt = Date.now();
  let started = false;
  return {
    update(progress: RebuildProgress) {
      const rate = Math.round(progress.eventsApplied / Math.max(0.001, (Date.now() - startedAt) / 1000));
      if (!started) {
        bar.start(progress.headPosition, progress.position, { rate });
        started = true;
      }
      bar.setTotal(progress.headPosition);
      bar.update(progress.position, { rate });
    },
    stop: () => started && bar.stop(),
  };
}
