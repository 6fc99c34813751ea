/**
 * The RESULT lines the saga, end-to-end and HTTP benches end with, one per target, in one format:
 *
 *   RESULT {"name":…,"value":n,"unit":…,"baseline":n,"ratio":n,"target":…,"met":bool}
 *
 * With add(), `target` is `>=N`, `<=N` (met when the value is within it) or `report` (a figure
 * printed for the record, met unless its run failed); a run that failed (`failed`) never meets its
 * target, its partial figure is still reported. With judged(), the caller says whether it is met.
 * Lines are collected and printed together at the end.
 */
export class BenchResults {
  private readonly lines: string[] = [];

  add(name: string, value: number, unit: string, baseline: number, target: string, decimals: number, failed = false) {
    const bound = Number(target.slice(2));
    const within = target.startsWith('>=') ? value >= bound : target.startsWith('<=') ? value <= bound : true;
    this.judged(name, value, unit, baseline, target, decimals, !failed && Number.isFinite(value) && within);
  }

  /** A line whose target the caller judges (e.g. `>= 0.30x bare express`). */
  judged(name: string, value: number, unit: string, baseline: number, target: string, decimals: number, met: boolean) {
    const round = (n: number) => (Number.isFinite(n) ? Number(n.toFixed(decimals)) : null);
    const ratio = Number.isFinite(value / baseline) ? Number((value / baseline).toFixed(3)) : null;
    this.lines.push(
      `RESULT ${JSON.stringify({ name, value: round(value), unit, baseline: round(baseline), ratio, target, met })}`,
    );
  }

  print(): void {
    for (const line of this.lines) console.log(line);
  }

  /** The lines, one per target, for a caller that writes them itself. */
  text(): string {
    return this.lines.join('\n');
  }
}
