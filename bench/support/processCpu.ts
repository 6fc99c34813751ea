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

/** CPU ms of each thread of a process (/proc/<pid>/task/<tid>/stat), by thread id. */
export function threadsCpu(pid: number): Map<number, number> {
  const threads = new Map<number, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return threads;
  }
  for (const tid of tids) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      threads.set(Number(tid), ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond);
    } catch {
      // the thread has ended
    }
  }
  return threads;
}

/**
 * Where one process's CPU went between two readings: its main thread (the thread id is the pid),
 * its busiest other thread (`npm start`'s saga thread), and all the rest (V8's GC and compiler
 * helpers, libuv's pool).
 */
export function threadSplit(pid: number, before: Map<number, number>, after: Map<number, number>) {
  const spent = [...after].map(([tid, ms]) => ({ tid, ms: ms - (before.get(tid) ?? 0) }));
  const main = spent.find((thread) => thread.tid === pid)?.ms ?? 0;
  const others = spent.filter((thread) => thread.tid !== pid).sort((a, b) => b.ms - a.ms);
  const busiest = others[0]?.ms ?? 0;
  const rest = others.slice(1).reduce((sum, thread) => sum + thread.ms, 0);
  return { main, busiest, rest };
}
