import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * The service's processes as an operator starts them, for tests that kill them: `npm start`'s
 * command (`src/main.ts`: every role, HTTP included) or one CLI role, each a node process of its
 * own on the storage the test opened. From the sources through tsx, or from a build with plain node.
 */
const root = join(__dirname, '..', '..');

export type Role = 'start' | 'serve' | 'reactor' | 'project' | 'worker';

export type ServiceProcess = Readonly<{
  role: Role;
  child: ChildProcess;
  /** Resolves once the role says it runs (its log line), so that a signal finds it started. */
  started: Promise<void>;
  exited: Promise<ExitStatus>;
}>;
export type ExitStatus = Readonly<{ code: number | null; signal: NodeJS.Signals | null }>;

/** The log line each role writes once it runs. */
export const startedLine: Record<Role, RegExp> = {
  start: /HTTP API listening/,
  serve: /HTTP API listening/,
  reactor: /"subscription":"sagaReactor".*subscription started/,
  project: /"subscription":"order_fulfillment_sagas".*subscription started/,
  worker: /job worker started/,
};

export type ProcessOptions = Readonly<{
  /**
   * Appends the process's whole output (its log and stderr) to this file instead of echoing its
   * errors: for tests that break storage on purpose, where errors are expected and many.
   */
  logFile?: string;
  /**
   * The folder of a build (compiledBuild.ts): the role runs its compiled JavaScript with plain node,
   * as in production (`node <build>/src/main.js`, `node <build>/src/infrastructure/cli/main.js <role>`).
   */
  build?: string;
}>;

export function startProcess(
  role: Role,
  env: Readonly<Record<string, string>>,
  options: ProcessOptions = {},
): ServiceProcess {
  const [program, ...roleArgs] = role === 'start' ? ['src/main'] : ['src/infrastructure/cli/main', role];
  const args = options.build
    ? [join(options.build, `${program}.js`), ...roleArgs]
    : ['--import', 'tsx', `${program}.ts`, ...roleArgs];
  const child = spawn(process.execPath, args, {
    cwd: options.build ?? root,
    env: { ...process.env, ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', options.logFile ? 'pipe' : 'inherit'],
  });
  if (options.logFile) {
    const log = createWriteStream(options.logFile, { flags: 'a' });
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    child.once('close', () => log.end());
  }
  const exited = new Promise<ExitStatus>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const started = new Promise<void>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (startedLine[role].test(line)) resolve();
      if (!options.logFile && /"level":50/.test(line)) process.stderr.write(`[${role}] ${line}\n`);
    });
    void exited.then((status) => reject(new Error(`${role} exited before it started: ${JSON.stringify(status)}`)));
  });
  started.catch(() => undefined);
  return { role, child, started, exited };
}

export async function kill(service: ServiceProcess, signal: 'SIGKILL' | 'SIGTERM'): Promise<ExitStatus> {
  if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill(signal);
  return service.exited;
}

/** Resolves once `GET <baseUrl>/readyz` answers 200. */
export async function waitReady(baseUrl: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await fetch(`${baseUrl}/readyz`).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`${baseUrl} was not ready within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
