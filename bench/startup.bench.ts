/**
 * Start-up time and memory of each role, run the way production runs it — the build, with plain
 * node — beside the same role run from the TypeScript sources the way the npm scripts run them
 * (`tsx <entry>`: `npm start`, `npm run cli -- <role>`), which is the baseline. A third column,
 * `node --import tsx <entry>`, is the loader alone without tsx's command-line wrapper (how the
 * `fulfillment` command runs an unbuilt checkout, and how the tests start roles); it is printed,
 * not judged.
 *
 * Per role and way: the median over BENCH_RUNS starts (default 5, after one discarded warm-up
 * each) of
 *   - start-up: ms from spawn to the role's "started" log line (test/support/serviceProcesses.ts:
 *     "HTTP API listening" for serve and start, which the all-in-one prints once its saga thread
 *     is ready too);
 *   - memory: RSS summed over the process and its descendants (tsx's wrapper and its node), from
 *     /proc, 500 ms after that line;
 *   - CPU: ms of CPU those processes had spent by then (printed only).
 * `serve`, `reactor`, `project`, `worker` run alone on MariaDB + BullMQ (a migrated database of
 * their own, a fresh key prefix), as in production; `start` (all in one) on SQLite, as `npm start`.
 * Runs alternate between the ways, so a busy neighbour slows each alike.
 *
 *   npm run bench:startup          (builds first)
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startedLine, type Role } from '../test/support/serviceProcesses';
import { BenchResults } from './support/benchResults';
import { interrupted, runBench } from './support/benchMain';
import { prepareStorage, type Storage } from './support/benchStorage';
import { descendantsOf, readStat } from './support/processCpu';
import { freePort, root, running, stopAll, type Spawned } from './support/serviceProcesses';

type Way = 'compiled' | 'tsx' | 'loader';
const ways: readonly Way[] = ['compiled', 'tsx', 'loader'];
const roles: readonly Role[] = ['serve', 'reactor', 'project', 'worker', 'start'];
const runs = Number(process.env.BENCH_RUNS ?? 5);
const settleMs = 500;
const tokens = 'client:startup-client-token-0123456789,operator:startup-operator-token-0123456789';

/** The command line of a role, each way; the tsx and loader ways run the sources, the compiled one dist/. */
function commandOf(way: Way, role: Role): string[] {
  const [program, ...roleArgs] = role === 'start' ? ['src/main'] : ['src/infrastructure/cli/main', role];
  if (way === 'compiled') return [process.execPath, join(root, 'dist', `${program}.js`), ...roleArgs];
  if (way === 'tsx') return [join(root, 'node_modules', '.bin', 'tsx'), `${program}.ts`, ...roleArgs];
  return [process.execPath, '--import', 'tsx', `${program}.ts`, ...roleArgs];
}

type Sample = Readonly<{ startupMs: number; rssMb: number; cpuMs: number }>;

/** RSS in MB of one process, from /proc/<pid>/status (0 once it has gone). */
function rssMb(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Starts one role one way, waits for its started line, measures it, stops it (SIGTERM). */
async function sample(way: Way, role: Role, env: Record<string, string>): Promise<Sample> {
  const [command, ...args] = commandOf(way, role);
  const startedAt = performance.now();
  const child = spawn(command!, args, {
    cwd: root,
    env: { ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const spawned: Spawned = { label: `${role} (${way})`, child, output: () => tail };
  running.add(spawned);
  child.once('exit', () => running.delete(spawned));
  child.stderr.on('data', (chunk: Buffer) => (tail = (tail + chunk.toString()).slice(-4000)));
  try {
    const startupMs = await new Promise<number>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout });
      lines.on('line', (line) => {
        tail = (tail + line + '\n').slice(-4000);
        if (startedLine[role].test(line)) resolve(performance.now() - startedAt);
      });
      child.once('exit', (code, signal) =>
        reject(new Error(`${spawned.label} exited (${code ?? signal}) before it started:\n${tail}`)),
      );
    });
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    const pids = descendantsOf(child.pid!);
    return {
      startupMs,
      rssMb: pids.reduce((sum, pid) => sum + rssMb(pid), 0),
      cpuMs: pids.reduce((sum, pid) => sum + (readStat(pid)?.cpuMs ?? 0), 0),
    };
  } finally {
    await stopAll([spawned]);
  }
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

type Figures = Record<Way, Sample>;

async function measure(role: Role, env: Record<string, string>): Promise<Figures> {
  const samples: Record<Way, Sample[]> = { compiled: [], tsx: [], loader: [] };
  for (const way of ways) await sample(way, role, env); // warm-up: disk caches, tsx's transform cache
  for (let run = 0; run < runs && !interrupted(); run++) {
    for (const way of ways) samples[way].push(await sample(way, role, env));
  }
  const of = (way: Way): Sample => ({
    startupMs: median(samples[way].map((s) => s.startupMs)),
    rssMb: median(samples[way].map((s) => s.rssMb)),
    cpuMs: median(samples[way].map((s) => s.cpuMs)),
  });
  return { compiled: of('compiled'), tsx: of('tsx'), loader: of('loader') };
}

const cell = (value: number, baseline: number, unit: string) =>
  `${value.toFixed(0).padStart(5)} ${unit} (${(value / baseline).toFixed(2)}x)`.padEnd(22);

function printTable(figures: ReadonlyMap<Role, Figures>): void {
  const header = ['role', 'tsx <entry> (baseline)', 'compiled: node dist/…', 'node --import tsx'];
  console.log(`\nmedian of ${runs} starts each; (ratio to the tsx baseline)`);
  for (const [label, key, unit] of [
    ['start-up, spawn → started line', 'startupMs', 'ms'],
    ['RSS after start, process tree', 'rssMb', 'MB'],
    ['CPU to start, process tree', 'cpuMs', 'ms'],
  ] as const) {
    console.log(`\n${label}`);
    console.log(
      `  ${header[0]!.padEnd(9)}${header
        .slice(1)
        .map((h) => h.padEnd(23))
        .join('')}`,
    );
    for (const [role, { compiled, tsx, loader }] of figures) {
      const base = tsx[key];
      console.log(`  ${role.padEnd(9)}${[tsx, compiled, loader].map((s) => cell(s[key], base, unit)).join(' ')}`);
    }
  }
}

async function main(): Promise<number> {
  if (!existsSync(join(root, 'dist', 'src', 'main.js'))) {
    throw new Error('no build in dist/: run `npm run bench:startup`, which builds first (or `npm run build`)');
  }
  const storages: Storage[] = [];
  try {
    const port = String(await freePort());
    const mysql = await prepareStorage('mysql');
    const sqlite = await prepareStorage('sqlite');
    storages.push(mysql, sqlite);
    const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: port, API_TOKENS: tokens };
    const envOf = (role: Role) => ({ ...base, ...(role === 'start' ? sqlite.env : mysql.env) });

    const figures = new Map<Role, Figures>();
    for (const role of roles) {
      if (interrupted()) break;
      figures.set(role, await measure(role, envOf(role)));
      console.error(`measured ${role}`);
    }
    printTable(figures);

    const results = new BenchResults();
    for (const [role, { compiled, tsx }] of figures) {
      const name = role === 'start' ? 'all_in_one' : role;
      const below = (value: number, baseline: number) => value < baseline;
      results.judged(
        `startup_${name}_ms`,
        compiled.startupMs,
        'ms',
        tsx.startupMs,
        '< 1x tsx',
        0,
        below(compiled.startupMs, tsx.startupMs),
      );
      results.judged(
        `startup_${name}_rss`,
        compiled.rssMb,
        'MB',
        tsx.rssMb,
        '< 1x tsx',
        1,
        below(compiled.rssMb, tsx.rssMb),
      );
    }
    console.log('');
    results.print();
    return interrupted() ? 1 : 0;
  } finally {
    for (const storage of storages) await storage.drop();
  }
}

runBench(main);
