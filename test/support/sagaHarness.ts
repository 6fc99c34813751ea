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
import type { CheckpointStore } from '../../src/application/ports/checkpointStore';
import type { EventStore, RecordedEvent } from '../../src/application/ports/eventStore';
import type { JobQueue, QueueWorker } from '../../src/application/ports/jobQueue';
import { silentLogger } from '../../src/application/ports/logger';
import type { SagaParticipants } from '../../src/application/saga/jobDependencies';
import type { CatchUpSubscription } from '../../src/application/subscriptions';
import { isUnknownOutcome, streamName } from '../../src/domain/events';
import type { SagaState } from '../../src/domain/saga';
import { buildService, type Service } from '../../src/infrastructure/app/buildService';
import {
  startReactorRole,
  startWorkerRole,
  type ReactorRoleOptions,
  type WorkerRoleOptions,
} from '../../src/infrastructure/app/sagaRoles';
import { loadConfig } from '../../src/infrastructure/config/config';
import { databaseLocations, migrateAll } from '../../src/infrastructure/database/databases';
import { createMetrics } from '../../src/infrastructure/observability/metrics';
import type { Participants } from '../../src/infrastructure/participants/createParticipants';
import { createMysqlTestDatabase, testRedisUrl, uniqueRedisPrefix } from '../../src/testing/testServices';

/**
 * The saga's application layer on real storage, without HTTP: the service built by the one
 * composition root (buildService) from a configuration, its reactor and workers started the way
 * the CLI starts them, with test edges swapped in where a test needs them (participants that fail
 * on cue, deliveries that repeat). `sqlite` is the embedded default (SQLite files + the embedded
 * queue); `mysql` is production (MariaDB + BullMQ on Redis).
 */
export type Backend = 'sqlite' | 'mysql';

export type Storage = Readonly<{
  backend: Backend;
  /** The environment a child process needs to reach the same storage, with the same settings. */
  env: Readonly<Record<string, string>>;
  /** A folder of the test's own (the SQLite files live there on the embedded default). */
  dataDir: string;
  service: Service;
  eventStore: EventStore;
  checkpoints: CheckpointStore;
  queue: JobQueue;
  serviceDb: Knex;
  close(): Promise<void>;
}>;

export const testRetry = { attempts: 3, backoffMs: 10 };
export const testDeadlinesMs = { CreatePrescription: 4_000, ReserveInventory: 4_000, InitiateShipment: 4_000 };

export type StorageSettings = Readonly<{
  deadlinesMs?: Partial<typeof testDeadlinesMs>;
  /** More configuration, e.g. a participant's URL. */
  env?: Readonly<Record<string, string>>;
  /** Servers of the test's own in place of the shared ones, e.g. for a test that stops them. */
  mysqlServerUrl?: string;
  redisUrl?: string;
}>;

export async function openStorage(backend: Backend, settings: StorageSettings = {}): Promise<Storage> {
  const deadlines = { ...testDeadlinesMs, ...settings.deadlinesMs };
  const common = {
    JOB_ATTEMPTS: String(testRetry.attempts),
    JOB_BACKOFF_MS: String(testRetry.backoffMs),
    PRESCRIPTION_DEADLINE_MS: String(deadlines.CreatePrescription),
    INVENTORY_DEADLINE_MS: String(deadlines.ReserveInventory),
    SHIPMENT_DEADLINE_MS: String(deadlines.InitiateShipment),
    LOG_LEVEL: 'silent',
    ...settings.env,
  };
  const folder = mkdtempSync(join(tmpdir(), 'saga-e2e-'));
  const mysql = backend === 'mysql' ? await createMysqlTestDatabase({ serverUrl: settings.mysqlServerUrl }) : undefined;
  const redisUrl = settings.redisUrl ?? testRedisUrl;
  const env = mysql
    ? { ...common, DATABASE_URL: mysql.url, REDIS_URL: redisUrl, QUEUE_PREFIX: uniqueRedisPrefix('saga') }
    : { ...common, DATABASE_URL: `sqlite:${join(folder, 'fulfillment.sqlite')}` };
  if (!mysql) await migrateAll(databaseLocations(env.DATABASE_URL));
  const service = buildService(loadConfig({ ...env, DATA_DIR: folder }), {
    logger: silentLogger,
    metrics: createMetrics({ defaultMetrics: false }),
  });
  return {
    backend,
    env,
    dataDir: folder,
    service,
    eventStore: service.eventStore,
    checkpoints: service.checkpoints,
    queue: service.jobQueue,
    serviceDb: service.serviceDb,
    close: async () => {
      await service.close();
      await mysql?.drop();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

export function builtinParticipants(storage: Storage): Participants {
  return storage.service.participants;
}

export type RunningSaga = Readonly<{
  reactor: CatchUpSubscription;
  worker: QueueWorker;
  stop(): Promise<void>;
}>;

export type RunOptions = Readonly<{
  /** Participants in place of the built-in ones (a test double of an edge we do not own). */
  participants?: SagaParticipants;
  /** Replaces the reactor's consumer or wraps the job handlers, e.g. to deliver everything twice. */
  consumer?: ReactorRoleOptions['consumer'];
  handlers?: WorkerRoleOptions['handlers'];
  concurrency?: number;
}>;

/** The reactor and a worker, started as the `reactor` and `worker` roles start them. */
export async function runSagas(storage: Storage, options: RunOptions = {}): Promise<RunningSaga> {
  const { subscription } = startReactorRole(storage.service, { idleWaitMs: 100, consumer: options.consumer });
  const worker = await startWorkerRole(storage.service, {
    participants: options.participants,
    handlers: options.handlers,
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
  const dependencies = storage.service.commands;
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
 * The steps that succeeded (late ones included), as the compensations that undo them, in the order
 * they succeeded. A COMPLETED saga owes them all and runs none; a CANCELLED one undoes exactly these.
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

/**
 * The compensations that undid something, in the order they ran. A step's compensation-done event
 * says so (`undone`); one written before it did, by its data (an id, some lines). CancelOrder always
 * cancels the order.
 */
export const compensationsThatUndid = (events: readonly RecordedEvent[]): string[] =>
  events.flatMap((event) => {
    switch (event.type) {
      case 'OrderCancelled':
        return ['CancelOrder'];
      case 'PrescriptionCancelled':
        return (event.data.undone ?? event.data.prescriptionId !== null) ? ['CancelPrescription'] : [];
      case 'InventoryReleased':
        return (event.data.undone ?? event.data.lines.length > 0) ? ['ReleaseInventory'] : [];
      case 'ShipmentCancelled':
        return (event.data.undone ?? event.data.shipmentId !== null) ? ['CancelShipment'] : [];
      default:
        return [];
    }
  });

/**
 * The compensations of steps given up with their outcome unknown (STEP_TIMEOUT, RETRIES_EXHAUSTED
 * recorded before any success of the step): the saga sends them whether or not the step acted.
 */
export const compensationsOfGivenUpSteps = (events: readonly RecordedEvent[]): string[] => {
  const compensationOf: Partial<Record<string, { succeeded: string; compensation: string }>> = {
    PrescriptionFailed: { succeeded: 'PrescriptionCreated', compensation: 'CancelPrescription' },
    InventoryReservationFailed: { succeeded: 'InventoryReserved', compensation: 'ReleaseInventory' },
    ShipmentInitiationFailed: { succeeded: 'ShipmentInitiated', compensation: 'CancelShipment' },
  };
  return events.flatMap((event, position) => {
    const step = compensationOf[event.type];
    const code = (event.data as { code?: string }).code;
    if (!step || !code || !isUnknownOutcome(code)) return [];
    const succeededBefore = events.slice(0, position).some((earlier) => earlier.type === step.succeeded);
    return succeededBefore ? [] : [step.compensation];
  });
};

/**
 * SPEC §9.2 in substance, for a saga that unwound, as a list of what is wrong (empty when all is
 * well): the compensations that undid something are exactly the steps that succeeded — late ones
 * included, and a given-up step that had acted without saying so — in reverse order; a compensation
 * that undid nothing belongs to a step given up with its outcome unknown, and such a step's
 * compensation runs first.
 */
export function unwindingProblems(events: readonly RecordedEvent[]): string[] {
  const problems: string[] = [];
  const ran = compensationsRan(events);
  const undid = compensationsThatUndid(events);
  const givenUp = compensationsOfGivenUpSteps(events);
  // A given-up step whose compensation undid something had succeeded at its participant, though
  // no success was ever reported (it answered 500 after acting, say): it is owed first.
  const reported = compensationsOwed(events).reverse();
  const actedUnreported = givenUp.filter(
    (compensation) => undid.includes(compensation) && !reported.includes(compensation),
  );
  const owed = [...actedUnreported, ...reported];
  if (JSON.stringify(undid) !== JSON.stringify(owed)) {
    problems.push(`undid ${undid.join(' → ') || 'nothing'}, owed ${owed.join(' → ') || 'nothing'}`);
  }
  const undidNothing = ran.filter(
    (compensation, at) => ran.indexOf(compensation) === at && !undid.includes(compensation),
  );
  for (const compensation of undidNothing) {
    if (!givenUp.includes(compensation)) problems.push(`${compensation} undid nothing, yet its step was not given up`);
  }
  if (givenUp.length > 0 && ran[0] !== givenUp[0]) {
    problems.push(`${givenUp[0]} (its step given up) did not run first: ${ran.join(' → ')}`);
  }
  return problems;
}

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
