import { readFileSync, readdirSync } from 'node:fs';
import type { Knex } from 'knex';
import { companionsOf } from '../../src/infrastructure/database/knexClient';

/**
 * CPU meters for benchmarks: this process (process.cpuUsage) and, on MariaDB, the server — the
 * whole `mariadbd` process (utime + stime from /proc, in 10 ms ticks), and the threads serving the
 * benchmark's own connections (one thread per connection; PROCESSLIST's TID).
 */
const ticksPerSecond = 100;

function mariadbdPid(): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (comm === 'mariadbd' || comm === 'mysqld') return Number(entry);
    } catch {
      // a process that ended while we looked
    }
  }
  return undefined;
}

/** utime + stime of a process, in microseconds. */
function processCpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / ticksPerSecond) * 1e6;
}

export type Meter = Readonly<{ nodeMicros: number; serverMicros: number; ownThreadsMicros: number; seconds: number }>;

/** CPU of the mariadbd threads serving this run's connections (one thread per connection), by thread id. */
async function ownThreadsCpu(db: Knex, pid: number): Promise<Map<number, number>> {
  const [rows] = (await db.raw('SELECT TID AS tid FROM information_schema.PROCESSLIST WHERE DB = DATABASE()')) as [
    { tid: number }[],
  ];
  const cpu = new Map<number, number>();
  for (const { tid } of rows) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      cpu.set(tid, ((Number(fields[11]) + Number(fields[12])) / ticksPerSecond) * 1e6);
    } catch {
      // a connection that closed meanwhile
    }
  }
  return cpu;
}

/**
 * Node's CPU and, on MariaDB, the whole server's (which counts other users of a shared server too)
 * and that of the threads serving this run's connections (which misses InnoDB's background work):
 * the server's share lies between the two.
 */
export async function measure(db: Knex, work: () => Promise<void>): Promise<Meter> {
  const pid = companionsOf(db).dialect === 'mysql' ? mariadbdPid() : undefined;
  const threadsBefore = pid ? await ownThreadsCpu(db, pid) : new Map<number, number>();
  const serverBefore = pid ? processCpuMicros(pid) : 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await work();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const serverMicros = pid ? processCpuMicros(pid) - serverBefore : 0;
  let ownThreadsMicros = 0;
  if (pid) {
    // Threads that served us throughout: a thread that appeared meanwhile may be a reused one.
    for (const [tid, after] of await ownThreadsCpu(db, pid)) {
      const before = threadsBefore.get(tid);
      if (before !== undefined) ownThreadsMicros += after - before;
    }
  }
  return { nodeMicros: cpu.user + cpu.system, serverMicros, ownThreadsMicros, seconds };
}

/** The server's CPU while we do nothing: what other users of a shared MariaDB add to each figure. */
export async function serverIdleRate(): Promise<number> {
  const pid = mariadbdPid();
  if (!pid) return 0;
  const before = processCpuMicros(pid);
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  return (processCpuMicros(pid) - before) / 2;
}
