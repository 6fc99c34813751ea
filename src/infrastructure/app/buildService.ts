import type { Server } from 'node:http';
import { Redis } from 'ioredis';
import type { Express } from 'express';
import type { Knex } from 'knex';
import type { CommandDependencies } from '../../application/commands/commandContext';
import { systemClock, type Clock } from '../../application/ports/clock';
import type { CheckpointStore } from '../../application/ports/checkpointStore';
import type { EventStore } from '../../application/ports/eventStore';
import type { JobQueue } from '../../application/ports/jobQueue';
import type { Logger } from '../../application/ports/logger';
import { orderFulfillmentSagasProjection } from '../../application/projections/orderFulfillmentSagasProjection';
import { partitionedProjectionConsumer } from '../../application/projections/projection';
import type { PartitionOwnership } from '../../application/partitions/partitionOwnership';
import type { PartitionLeaseStore } from '../../application/ports/partitionLeases';
import type { QueryDependencies } from '../../application/queries/queryContext';
import { startPartitionedSubscription, type PartitionedSubscription } from '../../application/subscriptions';
import type { Config } from '../config/config';
import { databaseLocations, type DatabaseLocations } from '../database/databases';
import { createKnex } from '../database/knexClient';
import { knexPartitionLeases } from '../database/knexPartitionLeases';
import { openEventStore } from './openEventStore';
import { SqliteEventStore } from '../eventStore/sqliteEventStore';
import { answerClientErrors } from '../http/clientErrors';
import { authFailureWindowMs } from '../http/authFailureThrottle';
import { createHttpApp } from '../http/createHttpApp';
import { knexIdempotencyStore, type IdempotencyStore } from '../http/idempotencyStore';
import { rateLimitWindowMs } from '../http/rateLimit';
import { inProcessRateLimitCounter, type RateLimitCounter } from '../http/rateLimitCounter';
import { rateLimitRedisOptions, redisRateLimitCounter } from '../http/redisRateLimitCounter';
import { asLoggerPort, createLogger } from '../observability/logger';
import { createMetrics, type FulfillmentMetrics } from '../observability/metrics';
import { createParticipants, type Participants } from '../participants/createParticipants';
import { createJobQueue } from '../queue/createJobQueue';
import { knexSagaReadModel } from '../readModel/knexSagaReadModel';
import { liveSagasTable } from '../readModel/sagaSummaryRows';
import { sqlSagaProjectionStorage } from '../readModel/sqlSagaProjectionStorage';
import { loadOrCreateApiTokens } from './apiTokens';
import type { StoppedSagaStore } from '../../application/ports/stoppedSagas';
import { knexStoppedSagaStore } from '../sagaStore/knexStoppedSagaStore';
import { copyName, projectionLowWatermark, startFollowerOwnership } from './partitionFollowers';
import { projectionCompleteThrough } from './readModelCompleteness';
import { RoleProgress } from './roleProgress';
import { fulfillmentSaga, type SagaDefinition } from '../../domain/saga';

/**
 * The composition root: every adapter built once from the configuration, and the roles
 * (`serve`, `project`, …) started from it. Roles added later (reactor, workers) take what they
 * need from here and register their shutdown with `onClose`.
 */
export type Service = Readonly<{
  config: Config;
  logger: Logger;
  metrics: FulfillmentMetrics;
  clock: Clock;
  locations: DatabaseLocations;
  serviceDb: Knex;
  eventStore: EventStore;
  checkpoints: CheckpointStore;
  jobQueue: JobQueue;
  participants: Participants;
  stoppedSagas: StoppedSagaStore;
  /** Whether this process's followers of the log are making progress (/readyz, a gauge). */
  progress: RoleProgress;
  /** The fulfillment saga, with the deadlines and retry policy of the configuration. */
  sagaDefinition: SagaDefinition;
  idempotencyStore: IdempotencyStore;
  commands: CommandDependencies;
  queries: QueryDependencies;
  /** Global position of the last event stored (0 for an empty log). */
  headPosition(): Promise<number>;
  /** Events not yet applied by the sagas projection. */
  projectionLag(): Promise<number>;
  createHttpApp(): Express;
  /** `serve`: the HTTP API on `port` (0 picks a free one). */
  serve(port?: number): Promise<Server>;
  /** `project`: follows the event store into `order_fulfillment_sagas`, for the partitions it holds. */
  startProjection(): PartitionedSubscription;
  /** Who holds which saga partition, every follower and copy. */
  partitionLeases: PartitionLeaseStore;
  /** Takes this process's share of a follower's partitions (released when its follower stops, or the service closes). */
  startOwnership(follower: string): PartitionOwnership;
  /** Registers shutdown work; it runs before what was built earlier (last in, first out). */
  onClose(close: () => Promise<void>): void;
  close(): Promise<void>;
}>;

export type BuildServiceOptions = Readonly<{ logger?: Logger; clock?: Clock; metrics?: FulfillmentMetrics }>;

/** Projection lag above which /readyz reports the service not ready. */
export const maxReadyProjectionLag = 10_000;

export function buildService(config: Config, options: BuildServiceOptions = {}): Service {
  const logger = options.logger ?? asLoggerPort(createLogger({ level: config.logLevel, format: config.logFormat }));
  const clock = options.clock ?? systemClock;
  const metrics = options.metrics ?? createMetrics();
  const locations = databaseLocations(config.databaseUrl);
  const closers: (() => Promise<void>)[] = [];
  const onClose = (close: () => Promise<void>) => void closers.push(close);

  const serviceDb = createKnex(locations.serviceUrl);
  onClose(() => serviceDb.destroy());
  const { eventStore, checkpoints, close: closeEventStore } = openEventStore(config, locations);
  onClose(closeEventStore);
  const jobQueue = createJobQueue(config, {
    logger,
    clock,
    ...(eventStore instanceof SqliteEventStore ? { eventStoreSqlite: eventStore.db } : {}),
  });
  onClose(() => jobQueue.close());

  const participants = createParticipants({ db: serviceDb, config, clock });
  const idempotencyStore = knexIdempotencyStore(serviceDb, clock);
  const readModel = knexSagaReadModel(serviceDb, liveSagasTable, {
    completeThrough: () =>
      projectionCompleteThrough(serviceDb, eventStore, orderFulfillmentSagasProjection.name, config.partitions.count),
  });
  const sagaDefinition = fulfillmentSaga({ stepDeadlinesMs: config.stepDeadlinesMs, retry: config.retry });
  const commands = { eventStore, clock, definition: sagaDefinition };
  const queries = { eventStore, readModel };

  const headPosition = () => eventStore.headPosition();
  const projectionLag = async () =>
    Math.max(
      0,
      (await headPosition()) -
        (await projectionLowWatermark(serviceDb, orderFulfillmentSagasProjection.name, config.partitions.count)),
    );
  const partitionLeases = knexPartitionLeases(serviceDb);
  const owner = copyName();
  const startOwnership = (follower: string) => {
    const ownership = startFollowerOwnership(follower, { leases: partitionLeases, owner, config, logger, metrics });
    onClose(() => ownership.stop());
    return ownership;
  };
  const stoppedSagas = knexStoppedSagaStore(serviceDb);
  const progress = new RoleProgress();
  metrics.bindMetricSources({
    followers: () => progress.statuses(),
    headPosition,
    stoppedSagas: () => stoppedSagas.count(),
    queueDepth: () => jobQueue.depth(),
    projectionLag: async () => ({ [orderFulfillmentSagasProjection.name]: await projectionLag() }),
  });

  /**
   * With REDIS_URL, every instance counts the per-token rate limit and the failed authentications
   * per address in Redis under the deployment's prefix. The connection is opened by the first HTTP
   * app (roles that serve no HTTP never open it) and shared by every app of this service. Without
   * REDIS_URL each app counts on its own.
   */
  let sharedLimits: Readonly<{ perToken: RateLimitCounter; authFailures: RateLimitCounter }> | undefined;
  const sharedLimitCounters = () => {
    if (config.queue.kind !== 'bullmq') return {};
    if (!sharedLimits) {
      const { redisUrl, prefix } = config.queue;
      const redis = new Redis(redisUrl, rateLimitRedisOptions);
      // Connection errors show as requests counted in process: the counters log those, once per outage.
      redis.on('error', () => undefined);
      onClose(async () => redis.disconnect());
      const counter = (name: string, limit: string, windowMs: number) => {
        metrics.rateLimitFallbacks.inc({ limit }, 0); // shown from the start, not from the first outage
        return redisRateLimitCounter({
          redis,
          prefix,
          name,
          windowMs,
          fallback: inProcessRateLimitCounter(windowMs),
          logger,
          onFallback: () => metrics.rateLimitFallbacks.inc({ limit }),
        });
      };
      sharedLimits = {
        perToken: counter('rate-limit', 'per_token', rateLimitWindowMs),
        authFailures: counter('auth-failures', 'auth_failures', authFailureWindowMs),
      };
    }
    return { rateLimitCounter: sharedLimits.perToken, authFailureCounter: sharedLimits.authFailures };
  };

  const readiness = {
    database: async () => void (await serviceDb.raw('SELECT 1')),
    eventStore: async () => void (await eventStore.readAll({ after: 0, maxCount: 1 })),
    queue: async () => void (await jobQueue.depth()),
    // The lag is shown even when it is fine: the operator console reads it here.
    projection: async () => {
      const lag = await projectionLag();
      if (lag > maxReadyProjectionLag)
        throw new Error(`the sagas projection is ${lag} events behind (limit ${maxReadyProjectionLag})`);
      return { lagEvents: lag };
    },
    // The reactor and the projection of this process (and its saga thread) are making progress.
    followers: () => progress.check(),
    // The saga partitions this process follows, per follower, and how far each is behind the log.
    partitions: async () => {
      const [statuses, head] = await Promise.all([progress.statuses(), headPosition()]);
      const partitioned = statuses.filter((status) => status.partitions);
      if (partitioned.length === 0) return undefined; // shown as ok: this process follows none
      return Object.fromEntries(
        partitioned.map(({ subscription, partitions = [] }) => [
          subscription,
          {
            owned: partitions.map(({ partition }) => partition),
            lag: Object.fromEntries(
              partitions.map(({ partition, checkpoint }) => [partition, Math.max(0, head - checkpoint)]),
            ),
          },
        ]),
      );
    },
    // A stopped saga does not make the service unready (the others go on); it is shown here.
    sagas: async () => {
      const stopped = await stoppedSagas.list(20);
      return { stopped: stopped.length === 20 ? await stoppedSagas.count() : stopped.length, stoppedSagas: stopped };
    },
  };

  const service: Service = {
    config,
    logger,
    metrics,
    clock,
    locations,
    serviceDb,
    eventStore,
    checkpoints,
    jobQueue,
    participants,
    stoppedSagas,
    progress,
    sagaDefinition,
    idempotencyStore,
    commands,
    queries,
    headPosition,
    projectionLag,
    createHttpApp: () =>
      createHttpApp({
        commands,
        queries,
        catalog: participants.catalog,
        jobQueue,
        tokens: loadOrCreateApiTokens(config, logger),
        rateLimitPerMinute: config.rateLimitPerMinute,
        ...sharedLimitCounters(),
        authFailuresPerMinute: config.authFailuresPerMinute,
        idempotencyStore,
        logger,
        metrics,
        readiness,
      }),
    serve: (port = config.port) =>
      new Promise((resolvePromise, reject) => {
        const server = service.createHttpApp().listen(port);
        answerClientErrors(server);
        server.once('error', reject);
        server.once('listening', () => {
          logger.info({ port: (server.address() as { port: number }).port }, 'HTTP API listening');
          onClose(() => new Promise<void>((done) => server.close(() => done())));
          resolvePromise(server);
        });
      }),
    partitionLeases,
    startOwnership,
    startProjection: () => {
      const ownership = startOwnership(orderFulfillmentSagasProjection.name);
      const subscription = startPartitionedSubscription({
        name: orderFulfillmentSagasProjection.name,
        store: eventStore,
        consumer: partitionedProjectionConsumer(
          orderFulfillmentSagasProjection,
          sqlSagaProjectionStorage(serviceDb),
          ownership.owner,
        ),
        ownership,
        logger,
      });
      progress.watch(subscription);
      onClose(() => subscription.stop());
      return subscription;
    },
    onClose,
    close: async () => {
      while (closers.length > 0) {
        const close = closers.pop()!;
        await close().catch((error: unknown) => logger.error({ err: error }, 'shutdown step failed'));
      }
    },
  };
  return service;
}
