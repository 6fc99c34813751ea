import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Participants } from '../src/infrastructure/participants/createParticipants';
import {
  available,
  builtinParticipants,
  commands,
  compensationsOwed,
  compensationsRan,
  eventsOfSaga,
  openStorage,
  order,
  sagaState,
  seedCatalog,
  typesOf,
  waitFor,
  type Storage,
} from './support/sagaHarness';

/**
 * SPEC §9 across crashes: the saga reactor and a worker run as their own processes (the CLI's
 * `reactor` and `worker` roles) on MariaDB + BullMQ. With many sagas in flight both are killed
 * with SIGKILL, then started again. Every saga must still end where it should, with exactly its
 * successful steps compensated in reverse, consistent stock, and no side effect done twice.
 */
jest.setTimeout(240_000);

const root = join(__dirname, '..');
const finalStates = ['COMPLETED', 'CANCELLED', 'MANUAL_REVIEW'] as const;

type Kind = 'happy' | 'prescriptionFails' | 'unknownSku' | 'shipmentFails';
const kinds: Kind[] = ['happy', 'happy', 'prescriptionFails', 'unknownSku', 'shipmentFails'];
const expectedFinal: Record<Kind, string> = {
  happy: 'COMPLETED',
  prescriptionFails: 'CANCELLED',
  unknownSku: 'CANCELLED',
  shipmentFails: 'CANCELLED',
};

function startRole(role: 'reactor' | 'worker', env: Readonly<Record<string, string>>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/infrastructure/cli/main.ts', role], {
    cwd: root,
    env: {
      ...process.env,
      ...env,
      LOG_LEVEL: 'error',
      JOB_ATTEMPTS: '4',
      JOB_BACKOFF_MS: '20',
      WORKER_CONCURRENCY: '4',
      // Far longer than a killed worker's jobs take to run again (JOB_LEASE_MS, 5 s, then up to one
      // stall check, 2.5 s; jobLease.ts) plus a loaded machine's slack: the jobs interrupted here are
      // recovered, not timed out, while the deadlines are still delayed jobs started at enqueue.
      PRESCRIPTION_DEADLINE_MS: '150000',
      INVENTORY_DEADLINE_MS: '150000',
      SHIPMENT_DEADLINE_MS: '150000',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return child;
}

const exited = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });

describe('crash of the reactor and a worker mid-saga (MariaDB + BullMQ, separate processes)', () => {
  let storage: Storage;
  let participants: Participants;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    storage = await openStorage('mysql');
    participants = builtinParticipants(storage);
    await seedCatalog(participants, { 'CR-A': { onHand: 10_000 }, 'CR-CTRL': { onHand: 10_000, controlled: true } });
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await storage?.close();
  });

  it('every saga ends where it should, compensations exactly the successful steps reversed, stock consistent, nothing twice', async () => {
    const env = { ...storage.env, DATA_DIR: join(root, 'data', 'crash-test') };
    const run = commands(storage);
    const first = [startRole('reactor', env), startRole('worker', env)];
    children.push(...first);

    const sagas = await Promise.all(
      Array.from({ length: 150 }, async (_, index) => {
        const kind = kinds[index % kinds.length]!;
        const placed = await run.place(
          order({
            patientId: `crash-${index}`,
            prescriberId: kind === 'prescriptionFails' ? undefined : 'dr-1',
            medications: [
              {
                sku: kind === 'unknownSku' ? 'CR-NOPE' : kind === 'prescriptionFails' ? 'CR-CTRL' : 'CR-A',
                quantity: 1 + (index % 3),
              },
            ],
            shippingAddress: {
              line1: '1 Main St',
              city: 'Springfield',
              postalCode: '12345',
              country: kind === 'shipmentFails' ? 'JP' : 'US',
            },
          }),
        );
        return { ...placed, kind, quantity: 1 + (index % 3) };
      }),
    );

    const finished = async () => {
      const states = await Promise.all(sagas.map((saga) => sagaState(storage.eventStore, saga.sagaId)));
      return states.filter((state) => state && (finalStates as readonly string[]).includes(state)).length;
    };
    // Kill both once some sagas are done and most are still in flight.
    await waitFor('the first sagas to finish', async () => ((await finished()) >= 10 ? true : undefined), 60_000);
    const doneAtCrash = await finished();
    for (const child of first) child.kill('SIGKILL');
    await Promise.all(first.map(exited));
    expect(doneAtCrash).toBeLessThan(sagas.length);

    const second = [startRole('reactor', env), startRole('worker', env)];
    children.push(...second);
    await waitFor(
      'every saga to finish after the restart',
      async () => ((await finished()) === sagas.length ? true : undefined),
      180_000,
    );

    // Graceful shutdown: SIGTERM, current work finishes, exit 0.
    for (const child of second) child.kill('SIGTERM');
    expect(await Promise.all(second.map(exited))).toEqual([
      { code: 0, signal: null },
      { code: 0, signal: null },
    ]);

    let completedUnits = 0;
    for (const saga of sagas) {
      const events = await eventsOfSaga(storage.eventStore, saga.sagaId, saga.orderId);
      const state = await sagaState(storage.eventStore, saga.sagaId);
      const failure = events.find((event) => event.type === 'SagaFailed')?.data;
      expect({ kind: saga.kind, state, failure }).toEqual({
        kind: saga.kind,
        state: expectedFinal[saga.kind],
        failure,
      });
      expect(compensationsRan(events)).toEqual(state === 'COMPLETED' ? [] : compensationsOwed(events).reverse());
      const once = typesOf(events).filter((type) => type !== 'SagaStateChanged' && type !== 'SagaCompensationRecorded');
      expect(once).toEqual([...new Set(once)]);
      if (state === 'COMPLETED') completedUnits += saga.quantity;
    }
    expect(await available(participants, 'CR-A')).toBe(10_000 - completedUnits);
    expect(await available(participants, 'CR-CTRL')).toBe(10_000);
    const sagaIds = sagas.map((saga) => saga.sagaId);
    const shipped = await storage.serviceDb('shipments').whereIn('saga_id', sagaIds).whereNotNull('shipment_id');
    expect(shipped).toHaveLength(sagas.filter((saga) => saga.kind === 'happy').length);
    const reserved = await storage.serviceDb('catalog_items').where({ sku: 'CR-A' }).first();
    expect(Number(reserved.reserved)).toBe(completedUnits);
  });
});
