import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { streamName } from '../src/domain/events';
import { freePort } from '../src/testing/freePort';
import type { Participants } from '../src/infrastructure/participants/createParticipants';
import { postUntilAccepted } from './support/orderClient';
import {
  expectedFailureCode,
  expectedFinal,
  orderBody,
  orderKinds as kinds,
  orderQuantity,
} from './support/orderKinds';
import { kill, startProcess, waitReady, type Role, type ServiceProcess } from './support/serviceProcesses';
import {
  available,
  builtinParticipants,
  compensationsRan,
  eventsOfSaga,
  openStorage,
  sagaState,
  seedCatalog,
  typesOf,
  unwindingProblems,
  waitFor,
  type Backend,
  type Storage,
} from './support/sagaHarness';

/**
 * SPEC §8 and §9 across crashes of our own processes: a SIGKILL of any process of the service,
 * at any moment, followed by a restart, changes no saga's outcome. Orders are posted over HTTP as
 * a client would (retrying with the same Idempotency-Key while the API is down) and killed:
 * - `npm start` on SQLite, and on MariaDB + BullMQ (the whole service in one process);
 * - with the roles apart on MariaDB + BullMQ, each role in turn: reactor, worker, projection, API.
 * Step deadlines are 2 s, shorter than a restart: a deadline that counted our own downtime, or
 * the time a dead worker's job waits to be taken back, would time steps out and cancel healthy
 * orders. No participant fails here, so no step may be given up (no STEP_TIMEOUT, no
 * RETRIES_EXHAUSTED), every order ends as its kind says, the compensations that undid something are
 * exactly the successful steps reversed (and, no step being given up, none ran that undid nothing),
 * stock is conserved and nothing happens twice.
 */
jest.setTimeout(300_000);

const deadlineMs = 2_000;
const orderCount = 160;
const tokens = { client: 'crash-client-token-0123456789', operator: 'crash-operator-token-0123456789' };
const finalStates = ['COMPLETED', 'CANCELLED', 'MANUAL_REVIEW'] as const;

/**
 * `burst`: every order posted at once, the process killed once the first sagas have ended, with
 * some 150 still in flight. `steady`: orders posted one every 25 ms while the roles are killed one
 * after the other, every 1.5 s, each kill landing among sagas in flight.
 */
type Case = Readonly<{
  name: string;
  backend: Backend;
  roles: readonly Role[];
  kills: readonly Role[];
  posting: 'burst' | 'steady';
}>;
const cases: Case[] = [
  { name: 'npm start on SQLite', backend: 'sqlite', roles: ['start'], kills: ['start'], posting: 'burst' },
  { name: 'npm start on MariaDB + BullMQ', backend: 'mysql', roles: ['start'], kills: ['start'], posting: 'burst' },
  {
    name: 'the roles apart on MariaDB + BullMQ, each killed in turn',
    backend: 'mysql',
    roles: ['serve', 'reactor', 'project', 'worker', 'worker'],
    kills: ['reactor', 'worker', 'project', 'serve'],
    posting: 'steady',
  },
];

describe.each(cases)('a SIGKILL of $name', ({ backend, roles, kills, posting }) => {
  let storage: Storage;
  let participants: Participants;
  const running: ServiceProcess[] = [];

  beforeAll(async () => {
    storage = await openStorage(backend, {
      deadlinesMs: { CreatePrescription: deadlineMs, ReserveInventory: deadlineMs, InitiateShipment: deadlineMs },
    });
    participants = builtinParticipants(storage);
    await seedCatalog(participants, { 'CR-A': { onHand: 10_000 }, 'CR-CTRL': { onHand: 10_000, controlled: true } });
  });

  afterAll(async () => {
    await Promise.all(running.map((service) => kill(service, 'SIGKILL')));
    await storage?.close();
  });

  it('changes no saga’s outcome: every order ends as its kind says, nothing twice, stock conserved', async () => {
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const env = {
      ...storage.env,
      PORT: String(port),
      DATA_DIR: storage.dataDir,
      API_TOKENS: `client:${tokens.client},operator:${tokens.operator}`,
      JOB_LEASE_MS: '2000',
      WORKER_CONCURRENCY: '8',
      JOB_ATTEMPTS: '4',
      JOB_BACKOFF_MS: '20',
    };
    // Each role's whole log, kept for the case where a saga is stranded.
    const logs = await mkdtemp(join(tmpdir(), 'crash-logs-'));
    const start = (role: Role) => {
      const service = startProcess(role, env, { logFile: join(logs, `${role}-${running.length}.log`) });
      running.push(service);
      return service;
    };
    const processes = roles.map(start);
    await Promise.all(processes.map((service) => service.started));
    await waitReady(baseUrl);

    // A client posting orders, each retried with its Idempotency-Key until the API answers.
    const orders = Array.from({ length: orderCount }, (_, index) => ({ index, kind: kinds[index % kinds.length]! }));
    const placed = new Map<number, { sagaId: string; orderId: string }>();
    const accepting = Promise.all(
      orders.map(async (order) => {
        if (posting === 'steady') await sleep(order.index * 25);
        placed.set(
          order.index,
          await postUntilAccepted(baseUrl, tokens.client, orderBody('crash', order.index, order.kind)),
        );
      }),
    );
    const finished = async () => {
      const states = await Promise.all([...placed.values()].map((saga) => sagaState(storage.eventStore, saga.sagaId)));
      return states.filter((state) => state && (finalStates as readonly string[]).includes(state)).length;
    };

    // Each role in turn: killed among sagas in flight, then started again.
    for (const [turn, role] of kills.entries()) {
      if (posting === 'burst') {
        await waitFor('the first sagas to end', async () => ((await finished()) >= 10 ? true : undefined), 120_000);
        expect(orderCount - (await finished())).toBeGreaterThanOrEqual(120);
      } else {
        await sleep(turn === 0 ? 1_000 : 1_500);
      }
      const target = processes.findIndex((service) => service.role === role);
      const status = await kill(processes[target]!, 'SIGKILL');
      expect(status.signal).toBe('SIGKILL');
      await sleep(300);
      processes[target] = start(role);
    }

    await accepting;
    await waitFor(
      'every saga to end after the crashes',
      async () => ((await finished()) === orderCount ? true : undefined),
      180_000,
    ).catch(async (error: unknown) => {
      // Say which sagas did not end, and where they stand, before failing: a stranding is rare.
      for (const saga of placed.values()) {
        const state = await sagaState(storage.eventStore, saga.sagaId);
        if (!state || !(finalStates as readonly string[]).includes(state)) {
          const events = await storage.eventStore.readStream(streamName.saga(saga.sagaId)).catch(() => []);
          console.error(
            `saga ${saga.sagaId} (order ${saga.orderId}) did not end: ${state}`,
            events.map((e) => e.type),
          );
        }
      }
      console.error(`each role's log is in ${logs}`);
      throw error;
    });

    // Graceful shutdown: SIGTERM, current work finishes, exit 0.
    await Promise.all(processes.map((service) => service.started));
    const statuses = await Promise.all(processes.map((service) => kill(service, 'SIGTERM')));
    expect(statuses).toEqual(processes.map(() => ({ code: 0, signal: null })));

    let completedUnits = 0;
    for (const order of orders) {
      const saga = placed.get(order.index)!;
      const events = await eventsOfSaga(storage.eventStore, saga.sagaId, saga.orderId);
      const state = await sagaState(storage.eventStore, saga.sagaId);
      const failure = events.find((event) => event.type === 'SagaFailed');
      const failureCode = failure?.type === 'SagaFailed' ? failure.data.code : undefined;
      expect({ kind: order.kind, state, failureCode }).toEqual({
        kind: order.kind,
        state: expectedFinal[order.kind],
        failureCode: expectedFailureCode[order.kind],
      });
      const givenUp = events.filter((event) => /STEP_TIMEOUT|RETRIES_EXHAUSTED/.test(JSON.stringify(event.data)));
      expect(givenUp).toEqual([]);
      if (state === 'COMPLETED') expect(compensationsRan(events)).toEqual([]);
      else expect(unwindingProblems(events)).toEqual([]);
      const once = typesOf(events).filter((type) => type !== 'SagaStateChanged' && type !== 'SagaCompensationRecorded');
      expect(once).toEqual([...new Set(once)]);
      if (state === 'COMPLETED') completedUnits += orderQuantity(order.index);
    }
    expect(await available(participants, 'CR-A')).toBe(10_000 - completedUnits);
    expect(await available(participants, 'CR-CTRL')).toBe(10_000);
    const sagaIds = [...placed.values()].map((saga) => saga.sagaId);
    const shipped = await storage.serviceDb('shipments').whereIn('saga_id', sagaIds).whereNotNull('shipment_id');
    expect(shipped).toHaveLength(orders.filter((order) => order.kind === 'happy').length);
    const catalog = await storage.serviceDb('catalog_items').where({ sku: 'CR-A' }).first();
    expect(Number(catalog.reserved)).toBe(completedUnits);
  });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
