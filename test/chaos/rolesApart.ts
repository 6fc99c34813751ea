import { join } from 'node:path';
import { freePort } from '../../src/testing/freePort';
import { orderSkus } from '../support/orderKinds';
import { openStorage, seedCatalog, type Storage } from '../support/sagaHarness';
import { kill, startProcess, waitReady, type Role, type ServiceProcess } from '../support/serviceProcesses';
import type { ThrowawayServer } from './throwawayServers';

/**
 * The service as production runs it: the roles apart (API, saga reactor, two workers, projection),
 * each a process of its own, on MariaDB + BullMQ — here the chaos suite's own servers, a fresh
 * database and queue prefix per scenario. The test keeps its own view of the storage (`storage`)
 * to read the log, the read model and the participants' tables. Each role's output goes to a log
 * file of the scenario's folder, named after the role. A scenario may run more copies of a role.
 */
export const roles: readonly Role[] = ['serve', 'reactor', 'worker', 'worker', 'project'];

export const stockOnHand = 1_000_000;
export const tokens = { client: 'chaos-client-token-0123456789', operator: 'chaos-operator-token-0123456789' };

/**
 * Deadlines and retries as a deployment would set them, scaled to a test: a step has 10 s (a
 * participant call 3 s), a job five tries from 200 ms apart, a dead worker's job is taken back
 * after 2 s.
 */
const settings = {
  PRESCRIPTION_DEADLINE_MS: '10000',
  INVENTORY_DEADLINE_MS: '10000',
  SHIPMENT_DEADLINE_MS: '10000',
  PARTICIPANT_TIMEOUT_MS: '3000',
  JOB_ATTEMPTS: '5',
  JOB_BACKOFF_MS: '200',
  JOB_LEASE_MS: '2000',
  WORKER_CONCURRENCY: '8',
  RATE_LIMIT_PER_MINUTE: '1000000',
};

export type RolesApart = Readonly<{
  baseUrl: string;
  storage: Storage;
  processes: readonly ServiceProcess[];
  /** The role of each process, by index. */
  roles: readonly Role[];
  /** SIGKILLs the process at `index` and starts its role again. */
  killAndRestart(index: number): Promise<void>;
  /** Pauses (SIGSTOP) or resumes (SIGCONT) every process of a role. */
  pause(role: Role, paused: boolean): void;
  stop(): Promise<void>;
}>;

export async function startRolesApart(
  servers: Readonly<{ mariadb: ThrowawayServer; redis: ThrowawayServer }>,
  folder: string,
  extraEnv: Readonly<Record<string, string>> = {},
  started: readonly Role[] = roles,
): Promise<RolesApart> {
  const storage = await openStorage('mysql', { mysqlServerUrl: servers.mariadb.url, redisUrl: servers.redis.url });
  await seedCatalog(storage.service.participants, {
    [orderSkus.plain]: { onHand: stockOnHand },
    [orderSkus.controlled]: { onHand: stockOnHand, controlled: true },
  });
  const port = await freePort();
  const env = {
    ...storage.env,
    ...settings,
    ...extraEnv,
    PORT: String(port),
    DATA_DIR: storage.dataDir,
    API_TOKENS: `client:${tokens.client},operator:${tokens.operator}`,
  };
  const start = (role: Role, index: number) =>
    startProcess(role, env, { logFile: join(folder, `${role}-${index}.log`) });
  const processes = started.map(start);
  await Promise.all(processes.map((service) => service.started));
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitReady(baseUrl);

  return {
    baseUrl,
    storage,
    processes,
    roles: started,
    killAndRestart: async (index) => {
      await kill(processes[index]!, 'SIGKILL');
      processes[index] = start(started[index]!, index);
    },
    pause: (role, paused) => {
      for (const service of processes.filter((candidate) => candidate.role === role)) {
        service.child.kill(paused ? 'SIGSTOP' : 'SIGCONT');
      }
    },
    stop: async () => {
      await Promise.all(processes.map((service) => kill(service, 'SIGKILL')));
      await storage.close();
    },
  };
}
