/**
 * The end-to-end cases alone, as a user runs the service: started as OS processes (`npm start`'s
 * command, or the CLI roles apart), driven only through its HTTP API.
 *
 *   sqlite-allInOne, mysql-allInOne, mysql-rolesApart   sagas/s and CPU ms per saga over every
 *       process involved, beside the bare-queue baseline (bench/support/e2eThroughput.ts; also
 *       part of `npm run bench:saga`)
 *   sqlite-latency   POST /orders at a fixed 250 req/s on npm start while its sagas run, beside a
 *       bare express app (bench/support/e2eLatency.ts; also part of `npm run bench:http`)
 *
 *   npm run bench:e2e      (needs MariaDB at TEST_MYSQL_URL and Redis at TEST_REDIS_URL)
 *   E2E_ONLY=sqlite-allInOne,mysql-rolesApart   some cases only
 *   E2E_ORDERS=500                              orders per throughput case (default 3000 SQLite, 2000 MariaDB)
 *   E2E_KEEP=1                                  show the service processes' output
 *   E2E_PROFILE=1                               --cpu-prof for the service processes; prints the folder
 */
import { interrupted, runBench } from './support/benchMain';
import { BenchResults } from './support/benchResults';
import { latencyCase } from './support/e2eLatency';
import { profileDir } from './support/e2eService';
import { runThroughputCases, throughputCases } from './support/e2eThroughput';

const cases = [...throughputCases.map(({ name }) => name), 'sqlite-latency'];
const only = process.env.E2E_ONLY?.split(',')
  .map((name) => name.trim())
  .filter(Boolean);
const unknown = only?.filter((name) => !cases.includes(name)) ?? [];
if (unknown.length > 0)
  throw new Error(`E2E_ONLY: unknown case(s) ${unknown.join(', ')}; cases are ${cases.join(', ')}`);
const selected = (name: string) => !only || only.includes(name);

async function main(): Promise<number> {
  if (profileDir) console.log(`CPU profiles of the service processes go to ${profileDir}`);
  const results = new BenchResults();
  let failures = await runThroughputCases(selected, results);
  if (selected('sqlite-latency') && !interrupted()) failures += await latencyCase(results);
  results.print();
  if (profileDir) console.log(`CPU profiles: ${profileDir}`);
  return failures;
}

runBench(main);
