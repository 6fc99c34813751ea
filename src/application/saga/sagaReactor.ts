import { streamName, type EventMetadata } from '../../domain/events';
import {
  decide,
  startSaga,
  type Decision,
  type SagaState,
  type PersistedSaga,
  type SagaDefinition,
  type SagaInput,
  type SagaLifecycleEvent,
} from '../../domain/saga';
import { ConcurrencyError } from '../errors';
import { currentSchemaVersion } from '../eventCatalog';
import type { Clock } from '../ports/clock';
import type { EventStore, NewEvent, RecordedEvent } from '../ports/eventStore';
import type { JobQueue } from '../ports/jobQueue';
import type { Logger } from '../ports/logger';
import { forEachConcurrently } from './forEachConcurrently';
import { SagaCache } from './sagaCache';
import { lifecycleEventId } from './sagaEventIds';
import { jobsForIntents, type QueuedJob } from './sagaIntentJobs';
import { routeToSaga, type SagaRoute } from './sagaRouting';
import { notStarted, persistedBefore, sagaStreamState, type SagaStreamState } from './sagaStreamState';

/**
 * The saga reactor: follows the global order and, for each event that concerns a saga, restores
 * the saga's machine, decides, appends the lifecycle events with the expected revision, and hands
 * the decision's intents to the job queue.
 *
 * The event log is the outbox. The subscription stores its checkpoint only after a batch's appends
 * and enqueues, so a crash in between redelivers the batch, and a redelivery changes nothing:
 * lifecycle event ids derive from the input event's id (the store ignores ids it holds), an input
 * already reacted to is decided again against the saga as it was before it (to re-send exactly
 * the same jobs), and job ids are deterministic (the queue ignores ids it holds).
 *
 * Sagas of one batch are decided concurrently; one saga's events strictly in order.
 */
export type SagaReactorDependencies = Readonly<{
  eventStore: EventStore;
  jobQueue: JobQueue;
  definition: SagaDefinition;
  clock: Clock;
  logger: Logger;
  /** How many sagas of a batch are decided at once (default 32). */
  concurrency?: number;
  /** How many restored sagas stay in memory (default 10,000). */
  cacheSize?: number;
  metrics?: SagaReactorMetrics;
}>;

/** What the reactor reports for the metrics: sagas started, and each state a saga moves to. */
export type SagaReactorMetrics = Readonly<{ sagaStarted(): void; sagaReached(state: SagaState): void }>;

export type SagaReactor = Readonly<{ handleBatch(events: readonly RecordedEvent[]): Promise<void> }>;

/** Appends that keep losing to concurrent writers this many times in a row are an error, not a loop. */
const maxConflictsPerEvent = 10;

export function createSagaReactor(dependencies: SagaReactorDependencies): SagaReactor {
  const { eventStore, jobQueue, definition, clock, logger } = dependencies;
  const cache = new SagaCache(dependencies.cacheSize ?? 10_000);

  const load = async (sagaId: string): Promise<SagaStreamState> => {
    const cached = cache.get(sagaId);
    if (cached) return cached;
    const events = await eventStore.readStream(streamName.saga(sagaId));
    const state = events.length === 0 ? notStarted : sagaStreamState(events);
    cache.set(sagaId, state);
    return state;
  };

  const decideOn = (route: SagaRoute, persisted: PersistedSaga | undefined): Decision | undefined => {
    const now = clock.now();
    if (route.kind === 'start') return startSaga(definition, { sagaId: route.sagaId, orderId: route.orderId, now });
    if (!persisted) return undefined;
    return decide(definition, persisted, { type: route.event.type, data: route.event.data } as SagaInput, { now });
  };

  const lifecycleEvents = (route: SagaRoute, events: readonly SagaLifecycleEvent[]): NewEvent[] => {
    const input = route.event.metadata;
    const occurredAt = clock.now().toISOString();
    return events.map((event, index) => {
      const metadata: EventMetadata = {
        eventId: lifecycleEventId(input.eventId, index),
        correlationId: route.sagaId,
        causationId: input.eventId,
        occurredAt,
        schemaVersion: currentSchemaVersion(event.type),
        ...(input.traceparent ? { traceparent: input.traceparent } : {}),
      };
      return { ...event, metadata };
    });
  };

  const jobsOf = (route: SagaRoute, decision: Decision | undefined): QueuedJob[] =>
    decision
      ? jobsForIntents(decision.intents, {
          sagaId: route.sagaId,
          orderId: route.orderId,
          causationId: route.event.metadata.eventId,
          traceparent: route.event.metadata.traceparent,
        })
      : [];

  const report = (events: readonly SagaLifecycleEvent[]) => {
    for (const event of events) {
      if (event.type === 'SagaStarted') dependencies.metrics?.sagaStarted();
      if (event.type === 'SagaStateChanged' && event.data.from !== event.data.to)
        dependencies.metrics?.sagaReached(event.data.to);
    }
  };

  /** A redelivered input: the same decision as the first time, to re-send its jobs. Appends nothing. */
  const replay = async (route: SagaRoute): Promise<QueuedJob[]> => {
    const events = await eventStore.readStream(streamName.saga(route.sagaId));
    return jobsOf(route, decideOn(route, persistedBefore(events, route.event.metadata.eventId)));
  };

  const reactOnce = async (route: SagaRoute): Promise<QueuedJob[]> => {
    const inputId = route.event.metadata.eventId;
    const saga = await load(route.sagaId);
    if (saga.handledInputs.has(inputId)) return replay(route);
    if (route.kind === 'start' && saga.persisted) return []; // started already
    if (route.kind === 'advance' && !saga.persisted) {
      logger.warn(
        { sagaId: route.sagaId, eventType: route.event.type, position: route.event.position },
        'an event for a saga that has not started was ignored: its OrderCreated is missing from the log',
      );
      return [];
    }
    const decision = decideOn(route, saga.persisted)!;
    if (decision.events.length > 0) {
      const result = await eventStore.appendToStream(
        streamName.saga(route.sagaId),
        lifecycleEvents(route, decision.events),
        { expectedRevision: saga.revision },
      );
      report(decision.events);
      cache.set(route.sagaId, {
        persisted: decision.snapshot,
        revision: result.nextExpectedRevision,
        handledInputs: new Set(saga.handledInputs).add(inputId),
      });
    }
    return jobsOf(route, decision);
  };

  /** A conflict means someone else appended to the saga stream: reload and decide again, never overwrite. */
  const react = async (route: SagaRoute): Promise<QueuedJob[]> => {
    for (let conflicts = 0; ; conflicts++) {
      try {
        return await reactOnce(route);
      } catch (error) {
        cache.delete(route.sagaId);
        if (!(error instanceof ConcurrencyError) || conflicts >= maxConflictsPerEvent) throw error;
        logger.debug({ sagaId: route.sagaId, eventType: route.event.type }, 'saga stream moved on: deciding again');
      }
    }
  };

  return {
    handleBatch: async (events) => {
      const routesBySaga = new Map<string, SagaRoute[]>();
      for (const event of events) {
        const route = routeToSaga(event);
        if (!route) continue;
        const routes = routesBySaga.get(route.sagaId);
        if (routes) routes.push(route);
        else routesBySaga.set(route.sagaId, [route]);
      }
      const jobs: QueuedJob[] = [];
      await forEachConcurrently([...routesBySaga.values()], dependencies.concurrency ?? 32, async (routes) => {
        for (const route of routes) jobs.push(...(await react(route)));
      });
      if (jobs.length > 0) await jobQueue.enqueueMany(jobs);
    },
  };
}
