import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../src/testing/freePort';
import { postUntilAccepted } from './support/orderClient';
import { orderBody } from './support/orderKinds';
import { kill, startProcess, waitReady, type Role, type ServiceProcess } from './support/serviceProcesses';
import {
  eventsOfSaga,
  openStorage,
  sagaState,
  seedCatalog,
  builtinParticipants,
  waitFor,
  type Storage,
} from './support/sagaHarness';

/**
 * Two saga reactor copies on MariaDB + BullMQ share the saga partitions by leases. One is paused
 * (SIGSTOP) for longer than its lease: the other takes its partitions over and moves its sagas on.
 * Resumed (SIGCONT), the paused copy finds on its first write that its lease has passed and writes
 * nothing for partitions it no longer holds (SPEC §9: no saga is handled by two owners at once);
 * then the two share the partitions again. Every saga ends as its kind says, and no saga stream
 * holds a reaction to one input twice.
 */
jest.setTimeout(240_000);

const partitions = 8;
const leaseMs = 1_500;
const tokens = { client: 'failover-client-token-0123456789', operator: 'failover-operator-token-0123456789' };

describe('a paused reactor copy on MariaDB + BullMQ', () => {
  let storage: Storage;
  const running: ServiceProcess[] = [];

  beforeAll(async () => {
    storage = await openStorage('mysql', {
      env: { SAGA_PARTITIONS: String(partitions), PARTITION_LEASE_MS: String(leaseMs) },
    });
    await seedCatalog(builtinParticipants(storage), { 'CR-A': { onHand: 10_000 } });
  });
  afterAll(async () => {
    for (const service of running) service.child.kill('SIGCONT');
    await Promise.all(running.map((service) => kill(service, 'SIGKILL')));
    await storage?.close();
  });

  const owners = async (): Promise<Map<string, number[]>> => {
    const rows: { owner: string | null; saga_partition: number }[] = await storage
      .serviceDb('partition_leases')
      .where({ follower: 'sagaReactor' })
      .whereRaw('expires_at_ms > ?', [0])
      .select('owner', 'saga_partition');
    const byOwner = new Map<string, number[]>();
    for (const row of rows)
      if (row.owner) byOwner.set(row.owner, [...(byOwner.get(row.owner) ?? []), row.saga_partition]);
    return byOwner;
  };
  const ownerOf = async (pid: number) => [...(await owners())].find(([owner]) => owner.includes(`:${pid}:`))?.[1] ?? [];

  it('lets another copy take over, and writes nothing once resumed for what it lost', async () => {
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const logs = await mkdtemp(join(tmpdir(), 'failover-logs-'));
    const env = {
      ...storage.env,
      PORT: String(port),
      DATA_DIR: storage.dataDir,
      API_TOKENS: `client:${tokens.client},operator:${tokens.operator}`,
    };
    const start = (role: Role, name: string) => {
      const service = startProcess(role, env, { logFile: join(logs, `${name}.log`) });
      running.push(service);
      return service;
    };
    const [paused, other] = [start('reactor', 'reactor-a'), start('reactor', 'reactor-b')];
    const rest = [start('serve', 'serve'), start('project', 'project'), start('worker', 'worker')];
    await Promise.all([paused, other, ...rest].map((service) => service.started));
    await waitReady(baseUrl);
    const [pausedPid, otherPid] = [paused.child.pid!, other.child.pid!];
    // A copy that splits the sagas otherwise would skip some: it refuses to start, naming both counts.
    const mismatched = startProcess(
      'reactor',
      { ...env, SAGA_PARTITIONS: '4' },
      { logFile: join(logs, 'mismatched.log') },
    );
    expect((await mismatched.exited).code).not.toBe(0);
    expect(await readFile(join(logs, 'mismatched.log'), 'utf8')).toContain(
      'SAGA_PARTITIONS is 4 here, but this deployment was set up with 8',
    );

    await waitFor('an even split', async () =>
      (await ownerOf(pausedPid)).length === partitions / 2 && (await ownerOf(otherPid)).length === partitions / 2
        ? true
        : undefined,
    );

    const placed: { sagaId: string; orderId: string }[] = [];
    const place = async (count: number) => {
      for (let index = 0; index < count; index++)
        placed.push(await postUntilAccepted(baseUrl, tokens.client, orderBody('failover', placed.length, 'happy')));
    };
    const allCompleted = async () => {
      const states = await Promise.all(placed.map((saga) => sagaState(storage.eventStore, saga.sagaId)));
      return states.every((state) => state === 'COMPLETED') ? true : undefined;
    };
    await place(10);
    await waitFor('the first orders to complete', allCompleted, 60_000);

    paused.child.kill('SIGSTOP');
    const stoppedAt = Date.now();
    await waitFor('the other copy to hold every partition', async () =>
      (await ownerOf(otherPid)).length === partitions ? true : undefined,
    );
    const failoverMs = Date.now() - stoppedAt;
    expect(failoverMs).toBeLessThan(leaseMs * 4);
    // Orders in every partition, the paused copy's former ones included, while it sleeps.
    await place(20);
    await waitFor('the orders placed during the pause to complete', allCompleted, 60_000);

    paused.child.kill('SIGCONT');
    await waitFor('an even split again', async () =>
      (await ownerOf(pausedPid)).length === partitions / 2 && (await ownerOf(otherPid)).length === partitions / 2
        ? true
        : undefined,
    );
    await place(10);
    await waitFor('the orders placed after the pause to complete', allCompleted, 60_000);

    // On waking, the paused copy saw its leases gone before writing for them.
    const pausedLog = await readFile(join(logs, 'reactor-a.log'), 'utf8');
    expect(pausedLog).toMatch(/no longer holds the lease|partitions taken over by another copy/);
    // One reaction per input: no saga was decided by two copies at once.
    for (const saga of placed) {
      const events = await eventsOfSaga(storage.eventStore, saga.sagaId, saga.orderId);
      const reactions = events
        .filter((event) => event.type === 'SagaStateChanged')
        .map((event) => event.metadata.causationId);
      expect(reactions).toEqual([...new Set(reactions)]);
    }
    const statuses = await Promise.all(running.map((service) => kill(service, 'SIGTERM')));
    expect(statuses.map((status) => status.code)).toEqual(running.map(() => 0));
  });
});
