import type { QueueWorker } from '../../application/ports/jobQueue';
import type { JobMetrics } from '../../application/saga/jobDependencies';
import { createJobHandlers } from '../../application/saga/jobWorkers';
import type { SagaReactorMetrics } from '../../application/saga/sagaReactor';
import { startSagaReactor } from '../../application/saga/sagaReactorSubscription';
import type { CatchUpSubscription } from '../../application/subscriptions';
import { fulfillmentSaga, type SagaDefinition } from '../../domain/saga';
import type { Config } from '../config/config';
import type { FulfillmentMetrics } from '../observability/metrics';
import type { Service } from './buildService';

/**
 * The saga's two roles on a built service: `reactor` (follows the event log, decides, enqueues)
 * and `worker` (runs the jobs against the participants). Each registers its own shutdown, so
 * closing the service stops the reactor after its current batch and lets the worker finish (or
 * hand back) the jobs it holds.
 */
export const sagaDefinitionOf = (config: Pick<Config, 'stepDeadlinesMs' | 'retry'>): SagaDefinition =>
  fulfillmentSaga({ stepDeadlinesMs: config.stepDeadlinesMs, retry: config.retry });

export function startReactorRole(service: Service): CatchUpSubscription {
  const subscription = startSagaReactor({
    eventStore: service.eventStore,
    checkpoints: service.checkpoints,
    jobQueue: service.jobQueue,
    definition: sagaDefinitionOf(service.config),
    clock: service.clock,
    logger: service.logger,
    metrics: reactorMetrics(service.metrics),
  });
  service.onClose(() => subscription.stop());
  return subscription;
}

export async function startWorkerRole(service: Service): Promise<QueueWorker> {
  const handlers = createJobHandlers({
    eventStore: service.eventStore,
    participants: service.participants,
    clock: service.clock,
    logger: service.logger,
    metrics: jobMetrics(service.metrics),
  });
  const worker = await service.jobQueue.startWorker(handlers, { concurrency: service.config.workerConcurrency });
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
});

const jobMetrics = (metrics: FulfillmentMetrics): JobMetrics => ({
  stepDuration: (step, outcome, seconds) => metrics.stepDuration.observe({ step, outcome }, seconds),
  compensationDuration: (compensation, outcome, seconds) =>
    metrics.compensationDuration.observe({ compensation, outcome }, seconds),
  jobRetried: (kind, name) => metrics.jobRetries.inc({ kind, name }),
  jobFailed: (kind, name) => metrics.deadLetters.inc({ kind, name }),
});
