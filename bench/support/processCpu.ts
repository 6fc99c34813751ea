/**
 * CPU time of other processes, read from /proc (Linux only), for benchmarks that must count every
 * process a request touches: the service's node processes and their descendants, mariadbd,
 * redis-server. A process's CPU is utime + stime of /proc/<pid>/stat (fields 14 and 15, clock
 * ticks; its threads are included, its reaped children are not: cutime/cstime are left out).
 *
 *   const meter = new CpuMeter({ service: () => descendantsOf(child.pid!), redis: () => pidsNamed('redis-server') });
 *   const before = meter.snapshot(); ...; const msPerGroup = cpuDelta(before, meter.snapshot());
 *
 * Pid sets are re-resolved at every snapshot (a role may fork workers), and a process that has
 * exited keeps its last reading, so it neither crashes the meter nor makes CPU go negative.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const ticksPerSecond = (() => {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
})();

type Stat = Readonly<{ pid: number; ppid: number; cpuMs: number; startTime: string }>;

/** /proc/<pid>/stat parsed; undefined once the process has gone. */
export function readStat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm (field 2) is in parentheses and may hold spaces or ')': split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const field = (n: number) => fields[n - 3]!; // fields[0] is field 3 (state)
  return {
    pid,
    ppid: Number(field(4)),
    cpuMs: ((Number(field(14)) + Number(field(15))) * 1000) / ticksPerSecond,
    startTime: field(22),
  };
}

const allPids = () =>
  readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);

/** Pids whose comm is exactly `name` (e.g. `mariadbd`, `redis-server`). */
export function pidsNamed(name: string): number[] {
  return allPids().filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name;
    } catch {
      return false;
    }
  });
}

/** The roots and every process below them, found through the ppid field of each /proc/<pid>/stat. */
export function descendantsOf(...roots: number[]): number[] {
  const children = new Map<number, number[]>();
  for (const pid of allPids()) {
    const stat = readStat(pid);
    if (stat) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), pid]);
  }
  const found: number[] = [];
  const pending = [...roots];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    found.push(pid);
    pending.push(...(children.get(pid) ?? []));
  }
  return found;
}

/** CPU ms per group, per process (keyed `pid@starttime`, so a reused pid is a new process). */
export type CpuSnapshot = Readonly<Record<string, ReadonlyMap<string, number>>>;

export class CpuMeter {
  private readonly seen = new Map<string, Map<string, number>>();

  constructor(private readonly groups: Readonly<Record<string, () => readonly number[]>>) {}

  snapshot(): CpuSnapshot {
    const snapshot: Record<string, ReadonlyMap<string, number>> = {};
    for (const [label, pidsOf] of Object.entries(this.groups)) {
      const seen = this.seen.get(label) ?? new Map<string, number>();
      this.seen.set(label, seen);
      for (const pid of pidsOf()) {
        const stat = readStat(pid);
        if (stat) seen.set(`${pid}@${stat.startTime}`, stat.cpuMs);
      }
      snapshot[label] = new Map(seen); // gone processes keep their last reading
    }
    return snapshot;
  }
}

/** CPU ms spent per group between two snapshots of the same meter. */
export function cpuDelta(before: CpuSnapshot, after: CpuSnapshot): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [label, processes] of Object.entries(after)) {
    let ms = 0;
    for (const [key, cpuMs] of processes) ms += cpuMs - (before[label]?.get(key) ?? 0);
    delta[label] = ms;
  }
  return delta;
}

/**
 * CPU ms the whole machine has been busy, all CPUs (/proc/stat: user, nice, system, irq, softirq),
 * so a bench can say how much ran elsewhere during its window (other jobs make its figures noisy).
 */
export function machineBusyMs(): number {
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0] = ticks;
  return ((user + nice + system + irq + softirq) * 1000) / ticksPerSecond;
}
