import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * `npm run build`'s compilation (tsconfig.build.json) of the current sources, into a folder of the
 * test's own rather than the checkout's dist/ (which may be stale, or in use). The folder gets a
 * node_modules of symlinks to every installed package but tsx: the compiled roles can reach each
 * dependency they need, and no TypeScript loader, so a runtime path that still needed one fails.
 */
const root = join(__dirname, '..', '..');

export type CompiledBuild = Readonly<{ folder: string; remove(): void }>;

export function buildIntoTemporaryFolder(): CompiledBuild {
  const folder = mkdtempSync(join(tmpdir(), 'fulfillment-build-'));
  const tsc = require.resolve('typescript/bin/tsc');
  const build = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', folder], {
    cwd: root,
    encoding: 'utf8',
  });
  if (build.status !== 0) {
    rmSync(folder, { recursive: true, force: true });
    throw new Error(`the build failed (exit ${build.status ?? build.signal}):\n${build.stdout}${build.stderr}`);
  }
  const modules = join(folder, 'node_modules');
  mkdirSync(modules);
  for (const name of readdirSync(join(root, 'node_modules'))) {
    if (name !== 'tsx') symlinkSync(join(root, 'node_modules', name), join(modules, name));
  }
  return { folder, remove: () => rmSync(folder, { recursive: true, force: true }) };
}

export type CommandResult = Readonly<{ status: number | null; output: string }>;

/** Runs a one-shot command of the built CLI (`migrate`, `seed`, …) to its end, with plain node. */
export function runBuiltCommand(
  build: CompiledBuild,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
): CommandResult {
  const cli = join(build.folder, 'src', 'infrastructure', 'cli', 'main.js');
  const run = spawnSync(process.execPath, [cli, ...args], {
    cwd: build.folder,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}
