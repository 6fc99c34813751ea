import type { CheckpointStore } from '../ports/checkpointStore';
import { checkpointedConsumer, startCatchUpSubscription, type CatchUpSubscription } from '../subscriptions';
import { createSagaReactor, type SagaReactorDependencies } from './sagaReactor';

/** The name the reactor's checkpoint is stored under. */
export const sagaReactorSubscriber = 'sagaReactor';

export type SagaReactorSubscriptionOptions = SagaReactorDependencies &
  Readonly<{ checkpoints: CheckpointStore; batchSize?: number; idleWaitMs?: number }>;

/** Runs the saga reactor over the global order, its checkpoint stored after each batch. */
export function startSagaReactor(options: SagaReactorSubscriptionOptions): CatchUpSubscription {
  const reactor = createSagaReactor(options);
  return startCatchUpSubscription({
    name: sagaReactorSubscriber,
    store: options.eventStore,
    consumer: checkpointedConsumer(sagaReactorSubscriber, options.checkpoints, reactor.handleBatch),
    logger: options.logger,
    batchSize: options.batchSize,
    idleWaitMs: options.idleWaitMs,
  });
}
