import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type autocannon from 'autocannon';

/** What the load generator reports, and the server-side CPU it cost this process. */
export type MeasuredLoad = Readonly<{
  requests: number;
  requestsPerSecond: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** User + system CPU of this process during the run, per request answered. */
  cpuMicrosPerRequest: number;
}>;

export type LoadOptions = Omit<autocannon.Options, 'url'> &
  Readonly<{
    path: string;
    /** Requests sent as fast as possible before measuring, so that JIT warm-up is not counted. */
    warmupRequests?: number;
    /** Writes a CPU profile of the measured run (warm-up excluded) to this .cpuprofile file. */
    profileTo?: string;
  }>;

/**
 * Drives `server` (listening in this process) from a child load generator and divides this
 * process's CPU over the run by the requests answered. Only the server's work is counted: the
 * load generator's parsing and bookkeeping, which would roughly double the figure in-process,
 * happen in the child.
 */
export async function measureServerCpu(
  server: Server,
  { path, warmupRequests = 2000, profileTo, ...options }: LoadOptions,
): Promise<MeasuredLoad> {
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}${path}`;
  if (warmupRequests > 0) {
    const { overallRate: _rate, duration: _duration, ...unpaced } = options;
    await runLoadGenerator({ ...unpaced, url, amount: warmupRequests }, () => undefined);
  }
  const profiler = profileTo ? await startProfiler() : undefined;
  let cpuBefore = process.cpuUsage();
  const output = await runLoadGenerator({ ...options, url }, () => {
    cpuBefore = process.cpuUsage();
  });
  const cpu = process.cpuUsage(cpuBefore);
  if (profiler && profileTo) writeFileSync(profileTo, JSON.stringify(await profiler.stop()));
  const figures = JSON.parse(output) as Omit<MeasuredLoad, 'cpuMicrosPerRequest'>;
  return { ...figures, cpuMicrosPerRequest: figures.requests ? (cpu.user + cpu.system) / figures.requests : 0 };
}

/**
 * Measures several servers of this process under the same load in turns (A, B, A, B, …), each
 * for `options.duration / turns` seconds a turn, so that a change in what else the machine runs
 * weighs on all of them alike rather than on whichever ran last. CPU and requests add up over a
 * server's turns; its p50 is the median of its turns' and its p99, p90 and max the worst.
 */
export async function measureInTurns(
  servers: readonly Server[],
  { duration = 10, ...options }: LoadOptions,
  turns: number,
): Promise<MeasuredLoad[]> {
  const runs: MeasuredLoad[][] = servers.map(() => []);
  for (const server of servers) await measureServerCpu(server, { ...options, duration: 1 });
  for (let turn = 0; turn < turns; turn++) {
    for (const [index, server] of servers.entries()) {
      runs[index]!.push(
        await measureServerCpu(server, { ...options, duration: Number(duration) / turns, warmupRequests: 0 }),
      );
    }
  }
  return runs.map(combine);
}

function combine(runs: readonly MeasuredLoad[]): MeasuredLoad {
  const sum = (pick: (run: MeasuredLoad) => number) => runs.reduce((total, run) => total + pick(run), 0);
  const worst = (pick: (run: MeasuredLoad) => number) => Math.max(...runs.map(pick));
  const requests = sum((run) => run.requests);
  const p50s = runs.map((run) => run.p50).sort((a, b) => a - b);
  return {
    requests,
    requestsPerSecond: sum((run) => run.requestsPerSecond) / runs.length,
    ok: sum((run) => run.ok),
    non2xx: sum((run) => run.non2xx),
    errors: sum((run) => run.errors),
    timeouts: sum((run) => run.timeouts),
    p50: p50s[Math.floor(p50s.length / 2)]!,
    p90: worst((run) => run.p90),
    p99: worst((run) => run.p99),
    max: worst((run) => run.max),
    cpuMicrosPerRequest: requests ? sum((run) => run.cpuMicrosPerRequest * run.requests) / requests : 0,
  };
}

function runLoadGenerator(options: autocannon.Options, onStarted: () => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(__dirname, 'loadGenerator.ts'), JSON.stringify(options)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (!output.includes('started\n') && (output + chunk).includes('started\n')) onStarted();
      output += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(output.trim().split('\n').at(-1)!) : reject(new Error(`load generator exited ${code}`)),
    );
  });
}

/** The V8 profiler of this process, through the inspector: a profile of one run, not of the start-up. */
async function startProfiler() {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      return profile;
    },
  };
}
