import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runScenario } from './chaosRun';
import { scenarios, type Pace } from './chaosScenarios';
import { chaosResults, chaosTable, type ChaosRow } from './chaosTable';
import { startThrowawayMariaDb, startThrowawayRedis, type ThrowawayServer } from './throwawayServers';

/**
 * The chaos tier (`npm run chaos`; `CHAOS_SHORT=1` for the short form CI runs): the roles apart on
 * MariaDB + BullMQ under a steady stream of orders, each scenario breaking one thing the way
 * production breaks it (see chaosScenarios.ts and docs/operations.md). Every scenario checks that
 * nothing is stuck once the fault has cleared plus a bound, that no order ends otherwise than it
 * would have without the fault, SPEC §9, and stock conservation (chaosInvariants.ts). The suite
 * runs its own MariaDB and Redis, since it stops them; the table and RESULT lines come at the end.
 */
const short = process.env.CHAOS_SHORT === '1';
const pace: Pace = {
  short,
  ratePerSecond: short ? 8 : 20,
  streamMs: short ? 25_000 : 60_000,
  leadMs: short ? 3_000 : 5_000,
  boundMs: short ? 45_000 : 60_000,
  seed: Number(process.env.CHAOS_SEED ?? Date.now() % 100_000),
};
jest.setTimeout(pace.streamMs + pace.boundMs + 180_000);

describe(`chaos (${short ? 'short' : 'full'} form: ${pace.ratePerSecond} orders/s for ${pace.streamMs / 1_000} s)`, () => {
  const folder = mkdtempSync(join(tmpdir(), 'chaos-servers-'));
  const servers = {} as { mariadb: ThrowawayServer; redis: ThrowawayServer };
  const rows: ChaosRow[] = [];
  const reports: string[] = [];

  beforeAll(async () => {
    servers.mariadb = await startThrowawayMariaDb(folder);
    servers.redis = await startThrowawayRedis(folder);
  });

  afterAll(async () => {
    await servers.redis?.stop('SIGKILL');
    await servers.mariadb?.stop('SIGKILL');
    rmSync(folder, { recursive: true, force: true });
    if (rows.length === 0) return;
    process.stdout.write(
      `\n${chaosTable(rows)}\n${reports.filter(Boolean).join('\n')}\n${chaosResults(rows).text()}\n`,
    );
  });

  it.each(scenarios.map((scenario) => [scenario.name, scenario] as const))(
    '%s: nothing stuck, no order changed, SPEC §9 and stock hold',
    async (_name, scenario) => {
      // A scenario that left a server down must not fail the next one.
      await servers.mariadb.start();
      await servers.redis.start();
      const { row, violations, summary, examples } = await runScenario(scenario, servers, pace);
      rows.push(row);
      reports.push(summary, examples);
      if (violations.length > 0) throw new Error(`${scenario.name}: the checks failed\n${summary}`);
    },
  );
});
