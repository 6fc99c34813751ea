import { streamName, type EventMetadata } from '../../domain/events';
import {
  decide,
  persistSaga,
  startSaga,
  type Decision,
  type SagaDefinition,
  type SagaInput,
  type SagaLifecycleEvent,
  type SagaState,
} from '../../domain/saga';
import { FulfillmentError } from '../../domain/errors';
import { ConcurrencyError } from '../errors';
import { currentSchemaVersion } from '../eventCatalog';
import type { Clock } from '../ports/clock';
import type { EventStore, NewEvent, RecordedEvent } from '../ports/eventStore';
import type { JobQueue } from '../ports/jobQueue';
import type { Logger } from '../ports/logger';
import type { StoppedSaga, StoppedSagaStore } from '../ports/stoppedSagas';
import { forEachConcurrently } from './forEachConcurrently';
import { loadSaga, requestOf, type LoadedSaga } from './loadSaga';
import { SagaCache } from './sagaCache';
import { lifecycleEventId } from './sagaEventIds';
import { jobsForIntents, type QueuedJob } from './sagaIntentJobs';
import { routeToSaga, type SagaRoute } from './sagaRouting';

/**
 * The saga reactor: follows the global order and, for each event that concerns a saga, decides
 * with the saga's machine, appends the lifecycle events with the expected revision, and hands the
 * decision's intents to the job queue.
 *
 * The event log is the outbox. The subscription stores its checkpoint only after a batch's appends
 * and enqueues, so a crash in between redelivers the batch, and a redelivery changes nothing:
 * lifecycle event ids derive from the input event's id (the store ignores ids it holds), an input
 * already reacted to is decided again against the saga as it was before it (to re-send exactly the
 * same jobs), and job ids are deterministic (the queue ignores ids it holds).
 *
 * Sagas stay in memory between their events (a cache keyed by the revision they were read or
 * written at), so the steady state reads nothing: a saga is loaded from its streams only on a miss.
 * A batch's sagas are decided together and their appends made in one turn of the event loop, which
 * the stores commit as one group; one saga's events strictly in order.
 */
export type SagaReactorDependencies = Readonly<{
  eventStore: EventStore;
  jobQueue: JobQueue;
  definition: SagaDefinition;
  clock: Clock;
  logger: Logger;
  /** How many sagas missing from memory are loaded at once (default 16). */
  loadConcurrency?: number;
  /** How many sagas stay in memory (default 10,000). */
  cacheSize?: number;
  /** A snapshot is kept with the SagaStateChanged of every this-many-th input, to bound a replay (default 32). */
  snapshotEvery?: number;
  /** Where stopped sagas are kept; without it they are kept in memory only. */
  stoppedSagas?: StoppedSagaStore;
  metrics?: SagaReactorMetrics;
  /** The sagas this copy decides for (its partitions); every saga when absent. */
  owns?: (sagaId: string) => boolean;
  /** Throws when this copy may no longer write for its sagas (a lease lost): called before each write. */
  guard?: () => void;
}>;

/** What the reactor reports for the metrics: sagas started, each state a saga moves to, sagas it cannot run. */
export type SagaReactorMetrics = Readonly<{
  sagaStarted(): void;
  sagaReached(state: SagaState): void;
  sagaStopped?(): void;
}>;

export type SagaReactor = Readonly<{
  handleBatch(events: readonly RecordedEvent[]): Promise<void>;
  /** Sagas whose stored form cannot be restored: stopped, each with the reason; the others go on. */
  stoppedSagas(): readonly StoppedSaga[];
  /**
   * Resumes the sagas stopped before this reactor started that it can restore, deciding the inputs
   * they skipped meanwhile; run once, before the reactor follows the log.
   */
  resumeStopped(): Promise<void>;
  /** Drops the sagas kept in memory: another copy may have moved them on. */
  forgetSagas(): void;
}>;

/** Appends that keep losing to concurrent writers this many times in a row are an error, not a loop. */
const maxConflictsPerSaga = 10;

type Reaction = Readonly<{ events: NewEvent[]; jobs: QueuedJob[]; saga: LoadedSaga; decisions: Decision[] }>;

export function createSagaReactor(dependencies: SagaReactorDependencies): SagaReactor {
  const { eventStore, jobQueue, definition, clock, logger } = dependencies;
  const cache = new SagaCache<LoadedSaga>(dependencies.cacheSize ?? 10_000);
  const snapshotEvery = dependencies.snapshotEvery ?? 32;
  const stopped = new Map<string, StoppedSaga>();

  const load = async (sagaId: string): Promise<LoadedSaga | undefined> => {
    const cached = cache.get(sagaId);
    if (cached) return cached;
    const loaded = await loadSaga(eventStore, definition, sagaId);
    if (loaded) cache.set(sagaId, loaded);
    return loaded;
  };

  /**
   * A saga whose OrderCreated is in the batch is new: nothing to read. Unless the batch is
   * redelivered, and then its first append says so: the same events again (the store answers as it
   * did the first time), or a conflict, and the saga is loaded.
   */
  const newSaga = (start: Extract<SagaRoute, { kind: 'start' }>): LoadedSaga => ({
    sagaId: start.sagaId,
    orderId: start.orderId,
    order: requestOf(start.event),
    orderRevision: start.event.revision,
    saga: undefined,
    revision: 'no_stream',
    handledInputs: new Set(),
    unhandledInputs: [],
    inputsSinceSnapshot: 0,
  });

  /** Decides a saga's new inputs of the batch, in order, in memory: what to append and what to run. */
  const decideAll = (saga: LoadedSaga, routes: readonly SagaRoute[]): Reaction => {
    let current = saga;
    const events: NewEvent[] = [];
    const jobs: QueuedJob[] = [];
    const decisions: Decision[] = [];
    for (const route of routes) {
      const inputId = route.event.metadata.eventId;
      if (current.handledInputs.has(inputId)) continue;
      if (route.kind === 'start' ? current.saga !== undefined : current.saga === undefined) continue;
      const now = clock.now();
      const decision =
        route.kind === 'start'
          ? startSaga(definition, { sagaId: route.sagaId, orderId: route.orderId, now })
          : decide(definition, current.saga!, inputOf(route), { now });
      if (decision.ignoredBecause) {
        logger.debug(
          { sagaId: route.sagaId, eventType: route.event.type },
          `input ignored: ${decision.ignoredBecause}`,
        );
        continue;
      }
      // Counted as the loader counts: the inputs since the start (or the last snapshot), not the start.
      const keepSnapshot = route.kind === 'advance' && current.inputsSinceSnapshot + 1 >= snapshotEvery;
      events.push(...lifecycleEvents(route, decision, keepSnapshot, now));
      jobs.push(...jobsOf(route, decision, current));
      decisions.push(decision);
      current = {
        ...current,
        saga: decision.saga,
        handledInputs: new Set(current.handledInputs).add(inputId),
        inputsSinceSnapshot: route.kind === 'start' || keepSnapshot ? 0 : current.inputsSinceSnapshot + 1,
      };
    }
    return { events, jobs, saga: current, decisions };
  };

  const lifecycleEvents = (route: SagaRoute, decision: Decision, keepSnapshot: boolean, now: Date): NewEvent[] => {
    const input = route.event.metadata;
    // The instant the input was decided at: a replay decides it at the same instant.
    const occurredAt = now.toISOString();
    return decision.events.map((event, index) => {
      const metadata: EventMetadata = {
        eventId: lifecycleEventId(input.eventId, index),
        correlationId: route.sagaId,
        causationId: input.eventId,
        occurredAt,
        schemaVersion: currentSchemaVersion(event.type),
        ...(input.traceparent ? { traceparent: input.traceparent } : {}),
      };
      const kept = keepSnapshot && event.type === 'SagaStateChanged' ? withSnapshot(event, decision) : event;
      return { ...kept, metadata } as NewEvent;
    });
  };

  const withSnapshot = (event: SagaLifecycleEvent, decision: Decision): SagaLifecycleEvent =>
    ({ ...event, data: { ...event.data, ...persistSaga(definition, decision.saga) } }) as SagaLifecycleEvent;

  const jobsOf = (route: SagaRoute, decision: Decision, saga: LoadedSaga): QueuedJob[] =>
    jobsForIntents(decision.intents, {
      order: saga.order,
      context: decision.context,
      causationId: route.event.metadata.eventId,
      traceparent: route.event.metadata.traceparent,
    });

  /**
   * Inputs this reactor reacted to before (a batch redelivered after a crash): decided again
   * against the saga as it was before each, to re-send the very same jobs. Appends nothing.
   */
  const jobsAgain = async (sagaId: string, routes: readonly SagaRoute[], handled: ReadonlySet<string>) => {
    const jobs: QueuedJob[] = [];
    for (const route of routes) {
      const inputId = route.event.metadata.eventId;
      if (!handled.has(inputId)) continue;
      const before = await loadSaga(eventStore, definition, sagaId, { before: inputId });
      if (!before) continue;
      const now = clock.now();
      const decision =
        route.kind === 'start'
          ? startSaga(definition, { sagaId, orderId: route.orderId, now })
          : before.saga && decide(definition, before.saga, inputOf(route), { now });
      if (decision) jobs.push(...jobsOf(route, decision, before));
    }
    return jobs;
  };

  const report = (decisions: readonly Decision[]) => {
    for (const { events } of decisions) {
      for (const event of events) {
        if (event.type === 'SagaStarted') dependencies.metrics?.sagaStarted();
        if (event.type === 'SagaStateChanged' && event.data.from !== event.data.to)
          dependencies.metrics?.sagaReached(event.data.to);
      }
    }
  };

  /** One saga's inputs of the batch. A conflict means someone else appended to its stream: reload and decide again. */
  const react = async (sagaId: string, routes: readonly SagaRoute[]): Promise<QueuedJob[]> => {
    for (let conflicts = 0; ; conflicts++) {
      const saga = cache.get(sagaId) ?? (await load(sagaId));
      if (!saga) {
        const [first] = routes;
        logger.warn(
          { sagaId, eventType: first?.event.type, position: first?.event.position },
          'an event for a saga without an order was ignored: its OrderCreated is missing from the log',
        );
        return [];
      }
      const replayed = await jobsAgain(sagaId, routes, saga.handledInputs);
      const reaction = decideAll(saga, routes);
      try {
        if (reaction.events.length > 0) {
          dependencies.guard?.();
          const { nextExpectedRevision } = await eventStore.appendToStream(streamName.saga(sagaId), reaction.events, {
            expectedRevision: saga.revision,
          });
          cache.set(sagaId, { ...reaction.saga, revision: nextExpectedRevision });
        }
        report(reaction.decisions);
        return [...replayed, ...reaction.jobs];
      } catch (error) {
        cache.delete(sagaId);
        if (!(error instanceof ConcurrencyError) || conflicts >= maxConflictsPerSaga) throw error;
        logger.debug({ sagaId }, 'saga stream moved on: deciding again');
      }
    }
  };

  /** A saga whose stored form cannot be brought back stops, with the reason; the batch goes on. */
  const reactOrStop = async (sagaId: string, routes: readonly SagaRoute[]): Promise<QueuedJob[]> => {
    if (stopped.has(sagaId)) return [];
    try {
      return await react(sagaId, routes);
    } catch (error) {
      if (!isUnrestorable(error)) throw error;
      const saga = {
        sagaId,
        reason: (error as Error).message,
        stoppedAt: clock.now().toISOString(),
      };
      stopped.set(sagaId, saga);
      await dependencies.stoppedSagas?.stop(saga);
      dependencies.metrics?.sagaStopped?.();
      logger.error(
        { sagaId, err: error },
        `${saga.reason}; its inputs wait until a version that can restore it starts`,
      );
      return [];
    }
  };

  /**
   * Sagas stopped before this process started: those this version can restore resume, reacting to
   * the inputs they skipped while stopped; the others stay stopped.
   */
  const resumeStopped = async (): Promise<void> => {
    const jobs: QueuedJob[] = [];
    for (const { sagaId } of (await dependencies.stoppedSagas?.list(10_000)) ?? []) {
      if (dependencies.owns && !dependencies.owns(sagaId)) continue;
      const loaded = await loadSaga(eventStore, definition, sagaId).catch((error: unknown) => {
        if (!isUnrestorable(error)) throw error;
        return undefined;
      });
      if (!loaded) continue;
      cache.set(sagaId, loaded);
      const skipped = loaded.unhandledInputs.flatMap((event) => routeToSaga(event) ?? []);
      jobs.push(...(await react(sagaId, skipped)));
      await dependencies.stoppedSagas?.resume(sagaId);
      logger.info({ sagaId, inputs: skipped.length }, `saga ${sagaId} resumed`);
    }
    if (jobs.length > 0) {
      dependencies.guard?.();
      await jobQueue.enqueueMany(jobs);
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
      const missing = [...routesBySaga].filter(([sagaId]) => !cache.get(sagaId) && !stopped.has(sagaId));
      await forEachConcurrently(missing, dependencies.loadConcurrency ?? 16, async ([sagaId, routes]) => {
        const [first] = routes;
        if (first?.kind === 'start') cache.set(sagaId, newSaga(first));
        else await load(sagaId).catch(() => undefined); // an unrestorable saga stops in reactOrStop
      });
      // Every cached saga's append starts in this same turn: the store commits them as one group.
      const reactions = await Promise.all([...routesBySaga].map(([sagaId, routes]) => reactOrStop(sagaId, routes)));
      const jobs = reactions.flat();
      if (jobs.length > 0) {
        dependencies.guard?.();
        await jobQueue.enqueueMany(jobs);
      }
    },
    stoppedSagas: () => [...stopped.values()],
    resumeStopped,
    forgetSagas: () => cache.clear(),
  };
}

/** Built field by field: spreading a recorded event into a new object costs more than the decision. */
const inputOf = (route: SagaRoute): SagaInput => ({ type: route.event.type, data: route.event.data }) as SagaInput;

const unrestorableCodes = new Set(['SAGA_MACHINE_VERSION_MISMATCH', 'SAGA_SNAPSHOT_INVALID', 'SAGA_HISTORY_INVALID']);
/** A saga whose stored form this version cannot restore: the reactor stops it, with the reason. */
export const isUnrestorable = (error: unknown) =>
  error instanceof FulfillmentError && unrestorableCodes.has(error.code);
