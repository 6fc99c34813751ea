import { sagaPartitionOf } from '../../application/partitions/sagaPartitions';
import type { CheckpointStore } from '../../application/ports/checkpointStore';
import type { JobHandlers, QueueWorker } from '../../application/ports/jobQueue';
import type { JobMetrics, SagaParticipants } from '../../application/saga/jobDependencies';
import { createJobHandlers } from '../../application/saga/jobWorkers';
import type { SagaReactor, SagaReactorMetrics } from '../../application/saga/sagaReactor';
import {
  sagaReactorSubscriber,
  startSagaReactor,
  type RunningSagaReactor,
} from '../../application/saga/sagaReactorSubscription';
import { createSagaReconciler, type SagaReconcilerMetrics } from '../../application/saga/sagaReconciler';
import { startSagaReconciler, type RunningSagaReconciler } from '../../application/saga/sagaReconcilerTimer';
import type { BatchConsumer } from '../../application/subscriptions';
import type { FulfillmentMetrics } from '../observability/metrics';
import type { Service } from './buildService';
import { createJobDeferral } from './jobDeferral';

/**
 * The saga's two roles on a built service: `reactor` (follows the event log, decides, enqueues)
 * and `worker` (runs the jobs against the participants). Each registers its own shutdown, so
 * closing the service stops the reactor after its current batch and lets the worker finish (or
 * hand back) the jobs it holds. The options are for tests, which run the real wiring with an edge
 * replaced: a participant that fails on cue, a delivery that repeats everything.
 */
export type ReactorRoleOptions = Readonly<{
  idleWaitMs?: number;
  consumer?: (newReactor: () => SagaReactor, checkpoints: CheckpointStore) => BatchConsumer;
}>;

export type RunningReactorRole = RunningSagaReactor & Readonly<{ reconciler: RunningSagaReconciler | undefined }>;

export function startReactorRole(service: Service, options: ReactorRoleOptions = {}): RunningReactorRole {
  const ownership = options.consumer ? undefined : service.startOwnership(sagaReactorSubscriber);
  const running = startSagaReactor({
    eventStore: service.eventStore,
    checkpoints: service.checkpoints,
    jobQueue: service.jobQueue,
    definition: service.sagaDefinition,
    clock: service.clock,
    logger: service.logger,
    metrics: reactorMetrics(service.metrics),
    stoppedSagas: service.stoppedSagas,
    idleWaitMs: options.idleWaitMs,
    consumer: options.consumer,
    ownership,
  });
  service.progress.watch(running.subscription);
  service.onClose(() => running.subscription.stop());
  const owns = ownership && ((sagaId: string) => ownership.owns(sagaPartitionOf(sagaId, ownership.partitions)));
  return { ...running, reconciler: startReconciler(service, owns) };
}

/**
 * The saga reconciler runs with the reactor, the one role that owns the sagas: it re-drives the
 * jobs a lost queue took with it (sagaReconciler.ts), for the sagas of this copy's partitions. Off
 * when RECONCILE_INTERVAL_MS is 0.
 */
function startReconciler(service: Service, owns?: (sagaId: string) => boolean): RunningSagaReconciler | undefined {
  const { intervalMs, idleAfterMs } = service.config.reconciler;
  if (intervalMs === 0) return undefined;
  const logger = service.logger.child({ component: 'sagaReconciler' });
  const reconciler = createSagaReconciler({
    readModel: service.queries.readModel,
    eventStore: service.eventStore,
    jobQueue: service.jobQueue,
    definition: service.sagaDefinition,
    clock: service.clock,
    logger,
    idleAfterMs,
    metrics: reconcilerMetrics(service.metrics),
    owns,
  });
  const running = startSagaReconciler(reconciler, { intervalMs, logger });
  service.onClose(() => running.stop());
  return running;
}

export type WorkerRoleOptions = Readonly<{
  participants?: SagaParticipants;
  handlers?: (handlers: JobHandlers) => JobHandlers;
  concurrency?: number;
}>;

export async function startWorkerRole(service: Service, options: WorkerRoleOptions = {}): Promise<QueueWorker> {
  const handlers = createJobHandlers({
    eventStore: service.eventStore,
    definition: service.sagaDefinition,
    participants: options.participants ?? service.participants,
    clock: service.clock,
    logger: service.logger,
    metrics: jobMetrics(service.metrics),
    // What a failed try was: a participant's failure (it counts), or an open circuit or our storage
    // away (it waits, uncounted). jobDeferral.ts.
    retryLater: createJobDeferral({
      logger: service.logger,
      countDeferral: (kind, name, reason) => service.metrics.jobDeferrals.inc({ kind, name, reason }),
    }),
  });
  const concurrency = options.concurrency ?? service.config.workerConcurrency;
  const worker = await service.jobQueue.startWorker(options.handlers?.(handlers) ?? handlers, { concurrency });
  service.logger.info({ concurrency }, 'job worker started');
  service.onClose(() => worker.close());
  return worker;
}

const reactorMetrics = (metrics: FulfillmentMetrics): SagaReactorMetrics => ({
  sagaStarted: () => metrics.sagasStarted.inc(),
  sagaReached: (state) => {
    if (state === 'COMPLETED') metrics.sagasCompleted.inc();
    if (state === 'CANCELLED') metrics.sagasCompensated.inc({ reason: 'unwound' });
    if (state === 'MANUAL_REVIEW') metrics.sagasInManualReview.inc();
  },
  sagaStopped: () => metrics.sagasStopped.inc(),
});

const reconcilerMetrics = (metrics: FulfillmentMetrics): SagaReconcilerMetrics => ({
  redriven: ({ kind, name, reason }) =>
    metrics.reconcilerRedriven.inc({ kind, name, reason: reason === 'lost' ? 'lost' : 'failure_unrecorded' }),
  scanned: () => metrics.reconcilerScans.inc(),
});

const jobMetrics = (metrics: FulfillmentMetrics): JobMetrics => ({
  stepDuration: (step, outcome, seconds) => metrics.stepDuration.observe({ step, outcome }, seconds),
  compensationDuration: (compensation, outcome, seconds) =>
    metrics.compensationDuration.observe({ compensation, outcome }, seconds),
  jobRetried: (kind, name) => metrics.jobRetries.inc({ kind, name }),
  jobFailed: (kind, name) => metrics.deadLetters.inc({ kind, name }),
});
