/**
 * The latency case (`sqlite-latency`), run by `npm run bench:http` and `npm run bench:e2e`: are
 * commands still fast while sagas run? The service is started as `npm start` starts it (SQLite,
 * every role in one process, so the sagas its orders start run beside the HTTP API; e2eService.ts),
 * then autocannon POSTs valid orders at a fixed 250 req/s, 20 connections, 15 s
 * (fixedRateLoad.ts). Baseline, same run: a bare express app answering 202 under the same load.
 * Prints p50/p90/p99 (autocannon's, and per request), the sagas completed meanwhile, and adds
 * RESULT lines for p50 (<= 5 ms) and p99 (<= 25 ms); a run where not every answer was 202 fails.
 */
import type { BenchResults } from './benchResults';
import { withService } from './e2eService';
import { bareExpressLatency, fixedRateLoad, type Latency } from './fixedRateLoad';
import { completedCount } from './orderLoad';

const line = (name: string, figures: Latency, extra = '') =>
  console.log(
    `${name.padEnd(26)} p50 ${figures.p50} ms  p90 ${figures.p90} ms  p99 ${figures.p99} ms ` +
      `(per request: ${figures.perRequest})  ` +
      `${figures.requests} requests, ${figures.all202 ? 'all 202' : 'NOT all 202'} (${figures.codes})${extra}`,
  );

/** Runs the case, prints its rows, adds its RESULT lines; returns 1 if it failed, else 0. */
export async function latencyCase(results: BenchResults): Promise<number> {
  const baseline = await bareExpressLatency();
  line('bare express 202', baseline);
  let service: (Latency & { sagasPerSecond: number }) | undefined;
  try {
    service = await withService('sqlite', 'allInOne', async ({ api }) => {
      const before = await completedCount(api);
      const started = performance.now();
      const latency = await fixedRateLoad(api.baseUrl, api.clientToken);
      const completed = (await completedCount(api)) - before;
      return { ...latency, sagasPerSecond: completed / ((performance.now() - started) / 1000) };
    });
    line('sqlite-latency (npm start)', service, `; ${service.sagasPerSecond.toFixed(0)} sagas/s completed meanwhile`);
  } catch (error) {
    console.log(`${'sqlite-latency (npm start)'.padEnd(26)} FAILED: ${(error as Error).message}`);
  }
  const failed = !service?.all202;
  results.add('e2e_sqlite_post_orders_p50_at_250rps', service?.p50 ?? NaN, 'ms', baseline.p50, '<=5', 2, failed);
  results.add('e2e_sqlite_post_orders_p99_at_250rps', service?.p99 ?? NaN, 'ms', baseline.p99, '<=25', 2, failed);
  return failed ? 1 : 0;
}
