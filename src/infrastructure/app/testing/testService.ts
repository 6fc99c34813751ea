import { currentSchemaVersion } from '../../../application/eventCatalog';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v4 as uuidv4 } from 'uuid';
import type { EventStore, NewEvent, RecordedEvent } from '../../../application/ports/eventStore';
import type { JobQueue } from '../../../application/ports/jobQueue';
import { createSagaReactor } from '../../../application/saga/sagaReactor';
import type { QueuedJob } from '../../../application/saga/sagaIntentJobs';
import { streamName, type FulfillmentEvent, type SagaStateChanged } from '../../../domain/events';
import type { CompensationName, SagaJobName, SagaState } from '../../../domain/saga/sagaVocabulary';
import { loadConfig } from '../../config/config';
import { databaseLocations, migrateAll } from '../../database/databases';
import {
  createMysqlTestDatabase,
  uniqueRedisPrefix,
  testRedisUrl,
  type TestDatabaseKind,
} from '../../../testing/testServices';
import { silentLogger } from '../../../application/ports/logger';
import { createMetrics } from '../../observability/metrics';
import { buildService, type Service } from '../buildService';

/**
 * The real service (real storage, real HTTP app) on a fresh SQLite folder or MariaDB database,
 * for integration tests of the service surface.
 */
export const testTokens = { client: 'client-token-0123456789abcdef', operator: 'operator-token-0123456789abcdef' };

export type TestService = Readonly<{ service: Service; dispose(): Promise<void> }>;

export async function startTestService(
  kind: TestDatabaseKind = 'sqlite',
  env: Readonly<Record<string, string>> = {},
): Promise<TestService> {
  const folder = mkdtempSync(join(tmpdir(), 'fulfillment-service-'));
  const mysql = kind === 'mysql' ? await createMysqlTestDatabase() : undefined;
  const databaseUrl = mysql?.url ?? `sqlite:${join(folder, 'fulfillment.sqlite')}`;
  if (!mysql) await migrateAll(databaseLocations(databaseUrl));
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    DATA_DIR: folder,
    API_TOKENS: `client:${testTokens.client},operator:${testTokens.operator}`,
    LOG_LEVEL: 'silent',
    ...(mysql ? { REDIS_URL: testRedisUrl, QUEUE_PREFIX: uniqueRedisPrefix('http') } : {}),
    ...env,
  });
  const service = buildService(config, { logger: silentLogger, metrics: createMetrics({ defaultMetrics: false }) });
  return {
    service,
    dispose: async () => {
      await service.close();
      await mysql?.drop();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** Every event in the store, in global order. */
export async function allEvents(eventStore: EventStore): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for (;;) {
    const batch = await eventStore.readAll({ after: events.at(-1)?.position ?? 0, maxCount: 1000 });
    if (batch.length === 0) return events;
    events.push(...batch);
  }
}

type SagaIds = Readonly<{ sagaId: string; orderId: string }>;
type Report = Readonly<{ stream: string; event: FulfillmentEvent }>;

/** What the workers would append, for a saga driven by hand in tests of the service surface. */
export const reports = {
  prescriptionCreated: (ids: SagaIds): Report => ({
    stream: streamName.prescription(ids.orderId),
    event: { type: 'PrescriptionCreated', data: { ...ids, prescriptionId: 'rx-1' } },
  }),
  inventoryReserved: (ids: SagaIds): Report => ({
    stream: streamName.inventoryReservation(ids.orderId),
    event: {
      type: 'InventoryReserved',
      data: { ...ids, reservationId: 'res-1', lines: [{ sku: 'AMOX-500-CAP', quantity: 2 }] },
    },
  }),
  inventoryReservationFailed: (ids: SagaIds): Report => ({
    stream: streamName.inventoryReservation(ids.orderId),
    event: {
      type: 'InventoryReservationFailed',
      data: { ...ids, code: 'INSUFFICIENT_STOCK', reason: 'not enough stock', shortLines: [], unknownSkus: [] },
    },
  }),
  shipmentInitiated: (ids: SagaIds): Report => ({
    stream: streamName.shipment(ids.orderId),
    event: { type: 'ShipmentInitiated', data: { ...ids, shipmentId: 'sh-1', carrier: 'DHL', trackingNumber: 'TRK1' } },
  }),
  compensationFailed: (ids: SagaIds, compensation: CompensationName, round = 0): Report => ({
    stream: streamName.saga(ids.sagaId),
    event: { type: 'SagaCompensationFailed', data: { ...ids, compensation, round, reason: 'participant down' } },
  }),
};

/**
 * Stands in for the workers, not for the saga: appends what a participant would report, then lets
 * the real reactor react (its jobs are kept, not run), so the saga's streams hold a real history
 * that the commands load as the reactor does.
 */
export function sagaDriver(service: Service) {
  const jobs: QueuedJob[] = [];
  const keepJobs = { enqueueMany: async (queued: readonly QueuedJob[]) => void jobs.push(...queued) } as JobQueue;
  const reactor = createSagaReactor({
    eventStore: service.eventStore,
    jobQueue: keepJobs,
    definition: service.sagaDefinition,
    clock: service.clock,
    logger: silentLogger,
  });
  let position = 0;
  const react = async () => {
    for (;;) {
      const batch = await service.eventStore.readAll({ after: position, maxCount: 500 });
      if (batch.length === 0) return;
      await reactor.handleBatch(batch);
      position = batch.at(-1)!.position;
    }
  };
  return {
    jobs,
    react,
    stoppedSagas: () => reactor.stoppedSagas(),
    /** Appends each report (as its worker would) and lets the reactor react to it, one after the other. */
    report: async (...reported: Report[]) => {
      await react();
      for (const { stream, event } of reported) {
        await recordEvent(service.eventStore, stream, event);
        await react();
      }
    },
  };
}

/** Appends an event as some writer of the service would, with fresh metadata; for tests that stand in for that writer. */
export async function recordEvent(
  eventStore: EventStore,
  stream: string,
  event: FulfillmentEvent,
  occurredAt = new Date().toISOString(),
): Promise<void> {
  const { sagaId } = event.data as { sagaId: string };
  const metadata = {
    eventId: uuidv4(),
    correlationId: sagaId,
    causationId: 'test',
    occurredAt,
    schemaVersion: currentSchemaVersion(event.type),
  };
  await eventStore.appendToStream(stream, [{ ...event, metadata } as NewEvent]);
}

/**
 * Stands in for the reactor in tests of the read model alone: records a state change on the saga
 * stream. Not a saga the reactor or the commands can load: use `sagaDriver` for those.
 */
export async function recordSagaState(
  eventStore: EventStore,
  saga: SagaIds,
  change: Readonly<{
    from: SagaState | null;
    to: SagaState;
    currentStep: SagaJobName | null;
    compensationStack: CompensationName[];
  }>,
  occurredAt = new Date().toISOString(),
): Promise<void> {
  const event: SagaStateChanged = { type: 'SagaStateChanged', data: { ...saga, ...change } };
  await recordEvent(eventStore, streamName.saga(saga.sagaId), event, occurredAt);
}

export const validOrder = () => ({
  patientId: 'patient-1',
  medications: [
    { sku: 'AMOX-500-CAP', quantity: 2 },
    { sku: 'IBU-200-TAB', quantity: 1 },
  ],
  shippingAddress: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
});
