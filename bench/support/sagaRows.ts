/**
 * How the saga benches (app layer and end to end) print a measured run: sagas (or chains) per
 * second, CPU ms per saga summed over the process groups that count for the backend and each
 * group's share, the ratios to the same run's bare-queue baseline, the groups that are only idle
 * noise (mariadbd and redis-server on SQLite) and what the rest of the machine spent meanwhile.
 */
import type { Backend } from './benchStorage';
import { countedCpuPer, noiseGroups } from './cpuWindow';
import type { BaselineRun } from './queueBaseline';

export type SagaRun = Readonly<{
  backend: Backend;
  perSecond: number;
  /** Sagas that ended (the throughput and CPU figures divide by these). */
  completed: number;
  seconds: number;
  cpuMsByGroup: Record<string, number>;
  elsewhereMs: number;
  failed: string | undefined;
}>;

export const failedRun = (backend: Backend, failed: string): SagaRun => ({
  backend,
  perSecond: 0,
  completed: 0,
  seconds: 0,
  cpuMsByGroup: {},
  elsewhereMs: NaN,
  failed,
});

const NAME_WIDTH = 26;

function cpuParts(backend: Backend, cpuMsByGroup: Record<string, number>, units: number) {
  const noise = noiseGroups(backend);
  const entries = Object.entries(cpuMsByGroup);
  return {
    total: countedCpuPer(backend, cpuMsByGroup, units),
    counted: entries
      .filter(([group]) => !noise.includes(group))
      .map(([group, ms]) => `${group} ${(ms / units).toFixed(2)}`),
    noise: entries.filter(([group]) => noise.includes(group)).map(([group, ms]) => `${group} ${ms.toFixed(0)} ms`),
  };
}

/** Prints one run beside its baseline; returns its CPU ms per saga over the counted groups. */
export function printRun(name: string, run: SagaRun, baseline: BaselineRun, note = ''): number {
  const { total, counted, noise } = cpuParts(run.backend, run.cpuMsByGroup, run.completed);
  console.log(
    `${name.padEnd(NAME_WIDTH)} ${run.perSecond.toFixed(0).padStart(6)} sagas/s  ${total.toFixed(2).padStart(6)} CPU ms/saga ` +
      `(${counted.join(', ')})  x${(run.perSecond / baseline.perSecond).toFixed(3)} throughput, ` +
      `x${(total / baseline.cpuMsPerChain).toFixed(3)} CPU of the baseline; ${run.completed} in ${run.seconds.toFixed(1)} s` +
      (note ? `; ${note}` : '') +
      (noise.length > 0 ? `; idle noise: ${noise.join(', ')}` : '') +
      `; elsewhere on the machine: ${run.elsewhereMs.toFixed(0)} ms` +
      (run.failed ? `  FAILED: ${run.failed}` : ''),
  );
  return total;
}

export function printBaseline(label: string, baseline: BaselineRun): void {
  const { counted, noise } = cpuParts(baseline.backend, baseline.cpuMsByGroup, baseline.count);
  console.log(
    `${label.padEnd(NAME_WIDTH)} ${baseline.perSecond.toFixed(0).padStart(6)} chains/s ` +
      `${baseline.cpuMsPerChain.toFixed(2).padStart(6)} CPU ms/chain (${counted.join(', ')})  ` +
      `bare queue, 3 no-op jobs per chain, ${baseline.count} chains` +
      (noise.length > 0 ? `; idle noise: ${noise.join(', ')}` : '') +
      `; elsewhere on the machine: ${baseline.elsewhereMs.toFixed(0)} ms`,
  );
}

/** A second line under a row, indented to its figures. */
export const printDetail = (text: string) => console.log(`${''.padEnd(NAME_WIDTH)} ${text}`);
