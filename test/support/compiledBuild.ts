import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

/**
 * `npm run build`'s compilation (tsconfig.build.json) of the current sources, into a folder of the
 * test's own rather than the checkout's dist/ (which may be stale, or in use). The folder gets a
 * node_modules of symlinks to the installed production dependencies (what `npm ci --omit=dev`
 * installs) but tsx: the compiled roles can reach what a production install gives them and no
 * TypeScript loader, so a runtime path that still needed one, or a devDependency, fails.
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
  for (const name of productionPackages()) {
    if (name === 'tsx') continue;
    mkdirSync(dirname(join(folder, 'node_modules', name)), { recursive: true });
    symlinkSync(join(root, 'node_modules', name), join(folder, 'node_modules', name));
  }
  return { folder, remove: () => rmSync(folder, { recursive: true, force: true }) };
}

/** The top-level packages of node_modules that a production install has (`name` or `@scope/name`). */
function productionPackages(): Set<string> {
  // npm ls exits non-zero on an extraneous package, yet lists the tree: its output is what counts.
  const list = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: root, encoding: 'utf8' });
  const names = new Set<string>();
  for (const path of list.stdout.split('\n')) {
    const match = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(relative(root, path));
    if (match) names.add(match[1]!);
  }
  if (names.size === 0) throw new Error(`npm ls listed no production package:\n${list.stderr}`);
  return names;
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
