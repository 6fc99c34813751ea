import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { readSagaEvents } from '../../src/application/queries/sagaEvents';
import {
  placeOrder,
  requestCancellation,
  resolveSaga,
  retrySaga,
  type PlaceOrderInput,
} from '../../src/application/commands';
import { systemClock } from '../../src/application/ports/clock';
import type { CheckpointStore } from '../../src/application/ports/checkpointStore';
import type { EventStore, RecordedEvent } from '../../src/application/ports/eventStore';
import type { JobHandlers, JobQueue, QueueWorker } from '../../src/application/ports/jobQueue';
import { silentLogger } from '../../src/application/ports/logger';
import { createJobHandlers } from '../../src/application/saga/jobWorkers';
import type { SagaParticipants } from '../../src/application/saga/jobDependencies';
import { createSagaReactor, type SagaReactor } from '../../src/application/saga/sagaReactor';
import { sagaReactorSubscriber } from '../../src/application/saga/sagaReactorSubscription';
import {
  checkpointedConsumer,
  startCatchUpSubscription,
  type BatchConsumer,
  type CatchUpSubscription,
} from '../../src/application/subscriptions';
import { streamName } from '../../src/domain/events';
import { fulfillmentSaga, type SagaDefinition, type SagaState } from '../../src/domain/saga';
import { loadConfig } from '../../src/infrastructure/config/config';
import { databaseLocations, migrateAll } from '../../src/infrastructure/database/databases';
import { createKnex, sqliteFilename } from '../../src/infrastructure/database/knexClient';
import { MysqlEventStore } from '../../src/infrastructure/eventStore/mysqlEventStore';
import { mysqlCheckpointStore, sqliteCheckpointStore } from '../../src/infrastructure/eventStore/sqlCheckpointStore';
import { SqliteEventStore } from '../../src/infrastructure/eventStore/sqliteEventStore';
import { createParticipants, type Participants } from '../../src/infrastructure/participants/createParticipants';
import { BullmqJobQueue } from '../../src/infrastructure/queue/bullmqJobQueue';
import { SqliteJobQueue } from '../../src/infrastructure/queue/sqliteJobQueue';
import { createMysqlTestDatabase, testRedisUrl, uniqueRedisPrefix } from '../../src/testing/testServices';

/**
 * The saga's application layer on real storage, without HTTP: commands in, reactor and workers
 * running, event store and participants' tables to inspect. `sqlite` is the embedded default
 * (SQLite files + the embedded queue); `mysql` is production (MariaDB + BullMQ on Redis).
 */
export type Backend = 'sqlite' | 'mysql';

export type Storage = Readonly<{
  backend: Backend;
  /** The environment a child process needs to reach the same storage. */
  env: Readonly<Record<string, string>>;
  eventStore: EventStore;
  checkpoints: CheckpointStore;
  queue: JobQueue;
  serviceDb: Knex;
  close(): Promise<void>;
}>;

export const testRetry = { attempts: 3, backoffMs: 10 };

export async function openStorage(backend: Backend): Promise<Storage> {
  if (backend === 'sqlite') {
    const folder = mkdtempSync(join(tmpdir(), 'saga-e2e-'));
    const databaseUrl = `sqlite:${join(folder, 'fulfillment.sqlite')}`;
    const locations = databaseLocations(databaseUrl);
    await migrateAll(locations);
    const eventStore = SqliteEventStore.open(sqliteFilename(locations.eventStoreUrl));
    const queue = new SqliteJobQueue(eventStore.db, { retry: testRetry, pollIntervalMs: 50, leaseMs: 3_000 });
    const serviceDb = createKnex(locations.serviceUrl);
    return {
      backend,
      env: { DATABASE_URL: databaseUrl },
      eventStore,
      checkpoints: sqliteCheckpointStore(eventStore.db),
      queue,
      serviceDb,
      close: async () => {
        await queue.close();
        await eventStore.close();
        await serviceDb.destroy();
        rmSync(folder, { recursive: true, force: true });
      },
    };
  }
  const database = await createMysqlTestDatabase();
  const eventStore = MysqlEventStore.open(database.url);
  const prefix = uniqueRedisPrefix('saga');
  const queue = new BullmqJobQueue({ redisUrl: testRedisUrl, prefix, retry: testRetry });
  return {
    backend,
    env: { DATABASE_URL: database.url, REDIS_URL: testRedisUrl, QUEUE_PREFIX: prefix },
    eventStore,
    checkpoints: mysqlCheckpointStore(eventStore.pool),
    queue,
    serviceDb: database.db,
    close: async () => {
      await queue.close();
      await eventStore.close();
      await database.drop();
    },
  };
}

export const testDeadlinesMs = { CreatePrescription: 4_000, ReserveInventory: 4_000, InitiateShipment: 4_000 };

export function testSagaDefinition(deadlinesMs = testDeadlinesMs): SagaDefinition {
  return fulfillmentSaga({ stepDeadlinesMs: deadlinesMs, retry: testRetry });
}

export function builtinParticipants(storage: Storage): Participants {
  const config = loadConfig({});
  return createParticipants({ db: storage.serviceDb, config });
}

export type RunningSaga = Readonly<{
  reactor: CatchUpSubscription;
  worker: QueueWorker;
  stop(): Promise<void>;
}>;

export type RunOptions = Readonly<{
  definition?: SagaDefinition;
  participants: SagaParticipants;
  /** Replaces the reactor's consumer or wraps the job handlers, e.g. to deliver everything twice. */
  consumer?: (newReactor: () => SagaReactor, storage: Storage) => BatchConsumer;
  handlers?: (handlers: JobHandlers) => JobHandlers;
  concurrency?: number;
}>;

export async function runSagas(storage: Storage, options: RunOptions): Promise<RunningSaga> {
  const definition = options.definition ?? testSagaDefinition();
  const dependencies = { eventStore: storage.eventStore, clock: systemClock, logger: silentLogger };
  const newReactor = () => createSagaReactor({ ...dependencies, jobQueue: storage.queue, definition });
  const consumer =
    options.consumer?.(newReactor, storage) ??
    checkpointedConsumer(sagaReactorSubscriber, storage.checkpoints, newReactor().handleBatch);
  const subscription = startCatchUpSubscription({
    name: sagaReactorSubscriber,
    store: storage.eventStore,
    consumer,
    logger: silentLogger,
    idleWaitMs: 100,
  });
  const handlers = createJobHandlers({ ...dependencies, participants: options.participants });
  const worker = await storage.queue.startWorker(options.handlers?.(handlers) ?? handlers, {
    concurrency: options.concurrency ?? 8,
  });
  return {
    reactor: subscription,
    worker,
    stop: async () => {
      await worker.close();
      await subscription.stop();
    },
  };
}

// Commands, as the HTTP layer sends them.

const origin = (actor: string) => ({ causationId: `test-${Math.random().toString(36).slice(2)}`, actor });

export const order = (overrides: Partial<PlaceOrderInput> = {}): PlaceOrderInput => ({
  patientId: 'patient-1',
  prescriberId: 'dr-who',
  medications: [{ sku: 'AMOX-500', quantity: 2 }],
  shippingAddress: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
  ...overrides,
});

export const commands = (storage: Storage) => {
  const dependencies = { eventStore: storage.eventStore, clock: systemClock };
  return {
    place: (input: PlaceOrderInput) => placeOrder(dependencies, input, origin('client')),
    cancel: (orderId: string) =>
      requestCancellation(dependencies, { orderId, reason: 'changed my mind' }, origin('client')),
    retry: (sagaId: string) => retrySaga(dependencies, { sagaId }, origin('operator')),
    resolve: (sagaId: string, note: string) => resolveSaga(dependencies, { sagaId, note }, origin('operator')),
  };
};

// Reading what happened.

/** Every event of the saga and its order, in global order. */
export const eventsOfSaga = readSagaEvents;

export async function sagaState(eventStore: EventStore, sagaId: string): Promise<SagaState | undefined> {
  const events = await eventStore.readStream(streamName.saga(sagaId));
  const last = events.findLast((event) => event.type === 'SagaStateChanged');
  return last?.type === 'SagaStateChanged' ? last.data.to : undefined;
}

export async function waitFor<T>(
  description: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export function waitForState(
  eventStore: EventStore,
  sagaId: string,
  states: readonly SagaState[],
  timeoutMs?: number,
): Promise<SagaState> {
  return waitFor(
    `saga ${sagaId} to reach ${states.join(' or ')}`,
    async () => {
      const state = await sagaState(eventStore, sagaId);
      return state && states.includes(state) ? state : undefined;
    },
    timeoutMs,
  );
}

/** The compensations that ran, in the order they ran: their outcome events in global order. */
export const compensationsRan = (events: readonly RecordedEvent[]): string[] =>
  events.flatMap((event) => {
    switch (event.type) {
      case 'OrderCancelled':
        return ['CancelOrder'];
      case 'PrescriptionCancelled':
        return ['CancelPrescription'];
      case 'InventoryReleased':
        return ['ReleaseInventory'];
      case 'ShipmentCancelled':
        return ['CancelShipment'];
      default:
        return [];
    }
  });

/**
 * The steps that succeeded, as the compensations that undo them, in the order they succeeded. A
 * COMPLETED saga owes them all and runs none; a CANCELLED one runs exactly these.
 */
export const compensationsOwed = (events: readonly RecordedEvent[]): string[] =>
  events.flatMap((event) => {
    switch (event.type) {
      case 'OrderCreated':
        return ['CancelOrder'];
      case 'PrescriptionCreated':
        return ['CancelPrescription'];
      case 'InventoryReserved':
        return ['ReleaseInventory'];
      case 'ShipmentInitiated':
        return ['CancelShipment'];
      default:
        return [];
    }
  });

export const typesOf = (events: readonly RecordedEvent[]) => events.map((event) => event.type);

export async function seedCatalog(
  participants: Participants,
  items: Record<string, { onHand: number; controlled?: boolean }>,
) {
  for (const [sku, { onHand, controlled }] of Object.entries(items)) {
    await participants.catalog.putItem(sku, { name: sku, controlled: controlled ?? false, onHand });
  }
}

export async function available(participants: Participants, sku: string): Promise<number> {
  const item = await participants.catalog.getItem(sku);
  if (!item) throw new Error(`no catalog item ${sku}`);
  return item.available;
}
