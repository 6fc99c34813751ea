/**
 * The service under test of the end-to-end cases (e2eThroughput.ts, e2eLatency.ts), as a user
 * runs it: on fresh storage, started as OS processes — `npm start`'s command
 * (`node --import tsx src/main.ts`: every role in one process) or the CLI's roles apart (`migrate`,
 * then `serve`, `reactor`, `project` and two `worker`s; more reactor and projection copies on
 * request, for the scale-out bench) — then ready (GET /readyz), seeded over the HTTP API and warmed
 * up by one saga run to COMPLETED (proves HTTP, reactor, workers and the projection are all up).
 * Its processes are always stopped and its storage dropped afterwards.
 *
 *   E2E_KEEP=1      show the service processes' output
 *   E2E_PROFILE=1   --cpu-prof for the service processes, into a temp folder printed at start
 *   RECONCILE_INTERVAL_MS, RECONCILE_IDLE_MS   passed to the service (the reconciler off, or hard at work)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareStorage, type Backend } from './benchStorage';
import { postOrders, seedStock, waitCompleted, type Api } from './orderLoad';
import { CpuMeter, descendantsOf, pidsNamed } from './processCpu';
import { freePort, runToEnd, spawnNode, stopAll, waitReady, type Spawned } from './serviceProcesses';

export type Layout = 'allInOne' | 'rolesApart';

/**
 * Settings taken from the bench's own environment, to compare runs: say the reconciler off
 * (`RECONCILE_INTERVAL_MS=0`) against it scanning hard (`RECONCILE_INTERVAL_MS=200 RECONCILE_IDLE_MS=1000`).
 */
const passedThroughVariables = ['RECONCILE_INTERVAL_MS', 'RECONCILE_IDLE_MS'] as const;
const passedThrough = () =>
  Object.fromEntries(passedThroughVariables.flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : [])));

export const profileDir = process.env.E2E_PROFILE === '1' ? mkdtempSync(join(tmpdir(), 'e2e-profiles-')) : undefined;

const tokens = { client: 'e2e-client-token-0123456789', operator: 'e2e-operator-token-0123456789' };
const cli = 'src/infrastructure/cli/main.ts';

/** How many copies of the partitioned roles run apart (1 each unless said). */
export type Copies = Readonly<{ reactor?: number; project?: number }>;

export type RunningService = Readonly<{
  api: Api;
  /** CPU of the service's processes and their descendants (`service`), of mariadbd and redis-server. */
  meter: CpuMeter;
  /** The same CPU, the service's split by process (its label) — where the time goes, copy by copy. */
  meterByProcess: CpuMeter;
  /** The pids of the processes started (the one process, all in one). */
  roots: readonly number[];
  /** The processes started so far, labelled by role (`reactor-2` where a role has several copies). */
  processes: readonly Spawned[];
  /** Starts one more copy of a role with the same environment (a killed copy restarted), stopped at the end too. */
  startCopy(role: string, label: string): Spawned;
  /** The service database, to read what the service keeps there (partition leases, the read model). */
  databaseUrl: string;
}>;

/** Starts the service on fresh storage, waits until it is ready, seeded and warm, runs `work`, always cleans up. */
export async function withService<T>(
  backend: Backend,
  layout: Layout,
  work: (service: RunningService) => Promise<T>,
  copies: Copies = {},
): Promise<T> {
  const storage = await prepareStorage(backend);
  const processes: Spawned[] = [];
  try {
    const port = await freePort();
    const env = {
      ...storage.env,
      PORT: String(port),
      API_TOKENS: `client:${tokens.client},operator:${tokens.operator}`,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '10000000', // the bench is one token: measure the service, not its rate limit
      ...passedThrough(),
    };
    const startCopy = (role: string, label: string) => {
      const spawned = spawnNode(label, [cli, role], env, profileDir);
      processes.push(spawned);
      return spawned;
    };
    if (layout === 'allInOne') {
      processes.push(spawnNode('service', ['src/main.ts'], env, profileDir));
    } else {
      await runToEnd('migrate', [cli, 'migrate'], env);
      const counts = { serve: 1, reactor: copies.reactor ?? 1, project: copies.project ?? 1, worker: 2 };
      for (const [role, count] of Object.entries(counts)) {
        for (let copy = 1; copy <= count; copy++) startCopy(role, count > 1 ? `${role}-${copy}` : role);
      }
    }
    const api: Api = {
      baseUrl: `http://127.0.0.1:${port}`,
      clientToken: tokens.client,
      operatorToken: tokens.operator,
    };
    await waitReady(api.baseUrl, processes);
    await seedStock(api);
    const warmUp = await postOrders(api, 1, 1, 1_000_000);
    if (warmUp.accepted !== 1) throw new Error(`the warm-up order was refused: ${JSON.stringify(warmUp.rejected)}`);
    if ((await waitCompleted(api, 1, 60_000)) < 1) throw new Error('the warm-up saga did not complete within 60 s');
    const roots = processes.map(({ child }) => child.pid!);
    const servers = { mariadb: () => pidsNamed('mariadbd'), redis: () => pidsNamed('redis-server') };
    const meter = new CpuMeter({ service: () => descendantsOf(...roots), ...servers });
    const meterByProcess = new CpuMeter({
      ...Object.fromEntries(processes.map(({ label, child }) => [label, () => descendantsOf(child.pid!)])),
      ...servers,
    });
    const databaseUrl = storage.env.DATABASE_URL!;
    return await work({ api, meter, meterByProcess, roots, processes, startCopy, databaseUrl });
  } catch (error) {
    for (const { label, output } of processes) if (output()) console.error(`[${label}] last output:\n${output()}`);
    throw error;
  } finally {
    await stopAll(processes);
    await storage.drop();
  }
}
