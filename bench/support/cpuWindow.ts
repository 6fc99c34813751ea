/**
 * One measured window of a saga bench: wall time, CPU per group of processes (a CpuMeter over
 * /proc), this bench process's own CPU (process.cpuUsage) as the group `self` names when it does
 * work being measured (the app-layer cases, the queue baseline) or left out when it is only the
 * client (the end-to-end cases), and the CPU the rest of the machine spent meanwhile — other jobs
 * on a shared box, which make the figures noisy.
 *
 *   const close = openCpuWindow(meter, 'app'); ...; const { seconds, cpuMsByGroup, elsewhereMs } = close();
 */
import { CpuMeter, cpuDelta, machineBusyMs } from './processCpu';
import type { Backend } from './benchStorage';

export type CpuWindow = Readonly<{
  seconds: number;
  cpuMsByGroup: Record<string, number>;
  /** CPU the machine spent outside the measured groups and this bench process during the window. */
  elsewhereMs: number;
}>;

export function openCpuWindow(meter: CpuMeter, self?: string): () => CpuWindow {
  const before = meter.snapshot();
  const [machineBefore, ownBefore, started] = [machineBusyMs(), process.cpuUsage(), performance.now()];
  return () => {
    const seconds = (performance.now() - started) / 1000;
    const others = cpuDelta(before, meter.snapshot());
    const own = process.cpuUsage(ownBefore);
    const ownMs = (own.user + own.system) / 1000;
    const measured = Object.values(others).reduce((sum, ms) => sum + ms, ownMs);
    const cpuMsByGroup = self ? { [self]: ownMs, ...others } : others;
    return { seconds, cpuMsByGroup, elsewhereMs: machineBusyMs() - machineBefore - measured };
  };
}

/** Groups a backend does not use: on SQLite, mariadbd and redis-server only show idle noise. */
export const noiseGroups = (backend: Backend): readonly string[] => (backend === 'sqlite' ? ['mariadb', 'redis'] : []);

/** CPU ms per unit (saga, chain) summed over the groups that count for the backend. */
export function countedCpuPer(backend: Backend, cpuMsByGroup: Record<string, number>, units: number): number {
  const noise = noiseGroups(backend);
  const ms = Object.entries(cpuMsByGroup)
    .filter(([group]) => !noise.includes(group))
    .reduce((sum, [, groupMs]) => sum + groupMs, 0);
  return units > 0 ? ms / units : NaN;
}
