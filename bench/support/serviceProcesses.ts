/**
 * Starting and stopping the service as separate OS processes for the saga benches (e2eService.ts,
 * the app layer's child worker): `node --import tsx <entry> [role]` from the checkout, as
 * `npm start` and `npm run cli -- <role>` run it, each with the same environment.
 *
 * E2E_KEEP=1 lets their stdout/stderr through; either way the last few KB are kept, printed when
 * a process dies early and watched by waitForOutput. A `profileDir` (E2E_PROFILE=1) adds
 * `--cpu-prof --cpu-prof-dir=<dir>` (a profile is written when the process exits on SIGTERM,
 * which the service handles by closing cleanly).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const root = join(__dirname, '..', '..');
const keepOutput = process.env.E2E_KEEP === '1';

export type Spawned = Readonly<{ label: string; child: ChildProcess; output: () => string }>;

/** Every process started and not yet exited, for stopping them if the bench itself is interrupted. */
export const running = new Set<Spawned>();

export function spawnNode(label: string, args: readonly string[], env: Record<string, string>, profileDir?: string) {
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (profileDir) console.log(`profile of ${label}: ${profileDir}/CPU.*.${child.pid}.*.cpuprofile`);
  let tail = '';
  const spawned: Spawned = { label, child, output: () => tail };
  running.add(spawned);
  const keep = (chunk: Buffer) => (tail = (tail + chunk.toString()).slice(-4000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  if (keepOutput) {
    child.stdout.pipe(process.stdout);
    child.stderr.pipe(process.stderr);
  }
  child.once('exit', (code, signal) => {
    running.delete(spawned);
    if (code !== 0 && signal === null && !keepOutput) console.error(`[${label}] exited ${code}:\n${tail}`);
  });
  return spawned;
}

/** Resolves once the process has printed `text` (e.g. a role's "started" log line); fails if it exits first. */
export function waitForOutput({ label, child, output }: Spawned, text: string, timeoutMs = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => finish(new Error(`${label} did not print "${text}" within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onData = () => void (output().includes(text) && finish());
    const onExit = () => finish(new Error(`${label} exited before printing "${text}": ${output()}`));
    const finish = (error?: Error) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    if (output().includes(text)) finish();
    else if (child.exitCode !== null || child.signalCode !== null) onExit();
  });
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => child.once('exit', () => resolve()));

/** Runs a one-shot command (e.g. `migrate`) to its end; throws unless it exits 0. */
export async function runToEnd(label: string, args: readonly string[], env: Record<string, string>): Promise<void> {
  const { child, output } = spawnNode(label, args, env);
  await exited(child);
  if (child.exitCode !== 0) throw new Error(`${label} exited ${child.exitCode ?? child.signalCode}: ${output()}`);
}

/** SIGTERM, then SIGKILL whatever is still running 5 s later. */
export async function stopAll(processes: readonly Spawned[]): Promise<void> {
  await Promise.all(
    processes.map(async ({ child }) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited(child);
      clearTimeout(timer);
    }),
  );
}

/** Re-exported for the benches: the one the tests use. */
export { freePort } from '../../src/testing/freePort';

/** Polls GET /readyz until it answers 200; fails early if a process has died. */
export async function waitReady(baseUrl: string, processes: readonly Spawned[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = processes.find(({ child }) => child.exitCode !== null || child.signalCode !== null);
    if (dead) throw new Error(`${dead.label} exited before the service was ready: ${dead.output()}`);
    const status = await fetch(`${baseUrl}/readyz`).then(
      (response) => response.arrayBuffer().then(() => response.status),
      () => 0,
    );
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`${baseUrl}/readyz not ready after ${timeoutMs} ms (last ${status})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
