/**
 * Sums a .cpuprofile's self time by function and by file (node_modules folded to their package),
 * so that a profile of the request path reads as a short table; given the number of requests the
 * profile covers, each line also says µs per request.
 *
 *   node --import tsx bench/support/cpuProfileSummary.ts <file.cpuprofile> [top=25] [requests]
 *
 * Samples taken while the main thread was outside JavaScript (libuv polling, socket syscalls)
 * carry whatever stack the inspector last saw — the Profiler.start call of serverCpu.ts — and are
 * reported as `(outside JS)` rather than charged to node:inspector.
 */
import { readFileSync } from 'node:fs';

type ProfileNode = Readonly<{
  id: number;
  children?: readonly number[];
  callFrame: Readonly<{ functionName: string; url: string; lineNumber: number }>;
}>;
type Profile = Readonly<{ nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }>;

/** `node_modules/express/lib/x.js` → `express`, our files relative to the checkout, `(program)` etc. as they are. */
export function fileOf(url: string): string {
  if (!url) return '(native)';
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (inModules) return inModules[1]!;
  if (url.startsWith('node:')) return url;
  const ours = /\/(src|bench|test)\/.*$/.exec(url);
  return ours ? ours[0].slice(1) : url;
}

export function summarise(profile: Profile) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const outsideJs = new Map<number, boolean>();
  const isOutsideJs = (id: number): boolean => {
    let known = outsideJs.get(id);
    if (known === undefined) {
      const parent = parents.get(id);
      known = nodes.get(id)!.callFrame.url === 'node:inspector' || (parent !== undefined && isOutsideJs(parent));
      outsideJs.set(id, known);
    }
    return known;
  };
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, index) => {
    const micros = profile.timeDeltas[index] ?? 0;
    const { functionName, url, lineNumber } = nodes.get(id)!.callFrame;
    const outside = isOutsideJs(id);
    const file = functionName === '(idle)' ? '(idle)' : outside ? '(outside JS)' : fileOf(url);
    const name = outside ? file : `${functionName || '(anonymous)'} ${file}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
    byFile.set(file, (byFile.get(file) ?? 0) + micros);
    total += micros;
  });
  const idle = byFile.get('(idle)') ?? 0;
  return { total, idle, byFunction, byFile };
}

function main() {
  const [file, top = '25', requests] = process.argv.slice(2);
  if (!file) throw new Error('usage: cpuProfileSummary.ts <file.cpuprofile> [top] [requests]');
  const perRequest = (micros: number) =>
    requests ? `  ${(micros / Number(requests)).toFixed(1).padStart(6)} µs/req` : '';
  const { total, idle, byFunction, byFile } = summarise(JSON.parse(readFileSync(file, 'utf8')) as Profile);
  const busy = total - idle;
  const table = (title: string, entries: Map<string, number>) => {
    console.log(`\n${title} (self time, % of ${(busy / 1000).toFixed(0)} ms busy${perRequest(busy)})`);
    [...entries]
      .filter(([name]) => !name.startsWith('(idle)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, Number(top))
      .forEach(([name, micros]) =>
        console.log(
          `${((100 * micros) / busy).toFixed(1).padStart(5)}%  ${(micros / 1000).toFixed(0).padStart(6)} ms${perRequest(micros)}  ${name}`,
        ),
      );
  };
  table('By file/package', byFile);
  table('By function', byFunction);
}

if (require.main === module) main();
