import { currentSchemaVersion } from '../../../application/eventCatalog';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v4 as uuidv4 } from 'uuid';
import type { EventStore, RecordedEvent } from '../../../application/ports/eventStore';
import { streamName, type SagaStateChanged } from '../../../domain/events';
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

/** Stands in for the saga reactor: records a state change on the saga stream. */
export async function recordSagaState(
  eventStore: EventStore,
  saga: Readonly<{ sagaId: string; orderId: string }>,
  change: Readonly<{
    from: SagaState | null;
    to: SagaState;
    currentStep: SagaJobName | null;
    compensationStack: CompensationName[];
  }>,
  occurredAt = new Date().toISOString(),
): Promise<void> {
  const event: SagaStateChanged = {
    type: 'SagaStateChanged',
    data: { ...saga, ...change, machineVersion: 1, snapshot: { value: change.to } },
  };
  await eventStore.appendToStream(streamName.saga(saga.sagaId), [
    {
      ...event,
      metadata: {
        eventId: uuidv4(),
        correlationId: saga.sagaId,
        causationId: 'test',
        occurredAt,
        schemaVersion: currentSchemaVersion(event.type),
      },
    },
  ]);
}

/** Stands in for the reactor and workers: a compensation failed after its retries. */
export async function recordCompensationFailed(
  eventStore: EventStore,
  saga: Readonly<{ sagaId: string; orderId: string }>,
  compensation: CompensationName,
  round = 0,
): Promise<void> {
  await eventStore.appendToStream(streamName.saga(saga.sagaId), [
    {
      type: 'SagaCompensationFailed',
      data: { ...saga, compensation, round, reason: 'participant down' },
      metadata: {
        eventId: uuidv4(),
        correlationId: saga.sagaId,
        causationId: 'test',
        occurredAt: new Date().toISOString(),
        schemaVersion: currentSchemaVersion('SagaCompensationFailed'),
      },
    },
  ]);
}

export const validOrder = () => ({
  patientId: 'patient-1',
  medications: [
    { sku: 'AMOX-500-CAP', quantity: 2 },
    { sku: 'IBU-200-TAB', quantity: 1 },
  ],
  shippingAddress: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
});
