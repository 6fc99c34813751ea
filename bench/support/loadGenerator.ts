/**
 * The load generator in a process of its own, so that the process under test can measure its own
 * CPU (process.cpuUsage counts every thread of a process, autocannon's included, but never a
 * child's). Reads autocannon options as JSON from argv, prints `started` when the load begins
 * (after this process's own start-up) and then one JSON line of results.
 *
 *   node --import tsx bench/support/loadGenerator.ts '{"url":"http://127.0.0.1:3000/healthz","duration":5}'
 */
import autocannon from 'autocannon';

async function main() {
  const options = JSON.parse(process.argv[2] ?? '{}') as autocannon.Options;
  const running = autocannon(options);
  process.stdout.write('started\n');
  const result = await running;
  const summary = {
    requests: result.requests.total,
    requestsPerSecond: result.requests.average,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
