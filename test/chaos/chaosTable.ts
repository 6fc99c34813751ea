import { BenchResults } from '../../bench/support/benchResults';

/**
 * What `npm run chaos` prints at the end: one row per scenario — orders placed, how they ended,
 * how many were stuck at the bound, and the time to recover (from the fault clearing to the last
 * saga placed before then settling) — then RESULT lines in the benches' format, two per scenario:
 * the time to recover, met when every check of the scenario passed (it is then within the bound),
 * and the orders the fault changed or left stuck, which must be none.
 */
export type ChaosRow = Readonly<{
  scenario: string;
  orders: number;
  completed: number;
  cancelled: number;
  manualReview: number;
  stuck: number;
  /** Orders that did not end as they would have without the fault. */
  changed: number;
  /** NaN while a saga is stuck. */
  recoverMs: number;
  boundMs: number;
  violations: number;
}>;

export function chaosTable(rows: readonly ChaosRow[]): string {
  const header = ['scenario', 'orders', 'completed', 'cancelled', 'review', 'stuck', 'changed', 'recover', 'checks'];
  const cells = rows.map((row) => [
    row.scenario,
    String(row.orders),
    String(row.completed),
    String(row.cancelled),
    String(row.manualReview),
    String(row.stuck),
    String(row.changed),
    Number.isFinite(row.recoverMs) ? `${(row.recoverMs / 1_000).toFixed(1)} s` : '—',
    row.violations === 0 ? 'pass' : `FAIL (${row.violations})`,
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((line) => line[column]!.length)));
  const line = (values: readonly string[]) =>
    values
      .map((value, column) => (column === 0 ? value.padEnd(widths[column]!) : value.padStart(widths[column]!)))
      .join('  ');
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line)].join('\n');
}

export function chaosResults(rows: readonly ChaosRow[]): BenchResults {
  const results = new BenchResults();
  for (const row of rows) {
    const recoverS = row.recoverMs / 1_000;
    const boundS = row.boundMs / 1_000;
    results.judged(
      `chaos ${row.scenario}: time to recover`,
      recoverS,
      's',
      boundS,
      `<=${boundS}`,
      1,
      row.violations === 0,
    );
    results.add(
      `chaos ${row.scenario}: orders the fault changed or left stuck`,
      row.changed + row.stuck,
      'orders',
      row.orders,
      '<=0',
      0,
    );
  }
  return results;
}
