import type { CheckpointStore } from '../ports/checkpointStore';
import {
  checkpointedConsumer,
  startCatchUpSubscription,
  type BatchConsumer,
  type CatchUpSubscription,
} from '../subscriptions';
import { createSagaReactor, type SagaReactor, type SagaReactorDependencies } from './sagaReactor';

/** The name the reactor's checkpoint is stored under. */
export const sagaReactorSubscriber = 'sagaReactor';

export type SagaReactorSubscriptionOptions = SagaReactorDependencies &
  Readonly<{
    checkpoints: CheckpointStore;
    batchSize?: number;
    idleWaitMs?: number;
    /**
     * Tests: another consumer around the reactor (say, one that delivers every batch twice, once
     * to a fresh reactor); `newReactor` builds one with the same dependencies.
     */
    consumer?: (newReactor: () => SagaReactor, checkpoints: CheckpointStore) => BatchConsumer;
  }>;

export type RunningSagaReactor = Readonly<{ subscription: CatchUpSubscription; reactor: SagaReactor }>;

/** Runs the saga reactor over the global order, its checkpoint stored after each batch. */
export function startSagaReactor(options: SagaReactorSubscriptionOptions): RunningSagaReactor {
  const newReactor = () => createSagaReactor(options);
  const reactor = newReactor();
  const followed =
    options.consumer?.(newReactor, options.checkpoints) ??
    checkpointedConsumer(sagaReactorSubscriber, options.checkpoints, reactor.handleBatch);
  // Sagas stopped before this start resume first, whether or not new events come.
  const consumer = {
    ...followed,
    loadCheckpoint: async () => {
      await reactor.resumeStopped();
      return followed.loadCheckpoint();
    },
  };
  const subscription = startCatchUpSubscription({
    name: sagaReactorSubscriber,
    store: options.eventStore,
    consumer,
    logger: options.logger,
    batchSize: options.batchSize,
    idleWaitMs: options.idleWaitMs,
  });
  return { subscription, reactor };
}
