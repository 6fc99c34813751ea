import type { PartitionOwnership } from '../partitions/partitionOwnership';
import { loadPartitionCheckpoints, sagaPartitionOf } from '../partitions/sagaPartitions';
import type { CheckpointStore } from '../ports/checkpointStore';
import {
  checkpointedConsumer,
  startCatchUpSubscription,
  startPartitionedSubscription,
  type BatchConsumer,
  type CatchUpSubscription,
  type PartitionedConsumer,
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
    /**
     * The saga partitions this copy holds leases on: it follows those alone, each with its own
     * checkpoint. Without it, the one reactor follows every saga (tests that replace the consumer).
     */
    ownership?: PartitionOwnership;
  }>;

export type RunningSagaReactor = Readonly<{ subscription: CatchUpSubscription; reactor: SagaReactor }>;

/** Runs the saga reactor over the global order, its checkpoint stored after each batch. */
export function startSagaReactor(options: SagaReactorSubscriptionOptions): RunningSagaReactor {
  const { ownership } = options;
  if (ownership && !options.consumer) return startPartitionedReactor(options, ownership);
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

/**
 * One copy among any number: it decides for the sagas of the partitions it holds, and writes only
 * while it holds them (the guard before each append and enqueue, the token on its checkpoints).
 */
function startPartitionedReactor(
  options: SagaReactorSubscriptionOptions,
  ownership: PartitionOwnership,
): RunningSagaReactor {
  const owns = (sagaId: string) => ownership.owns(sagaPartitionOf(sagaId, ownership.partitions));
  const reactor = createSagaReactor({ ...options, owns, guard: () => ownership.assertValid() });
  const { checkpoints } = options;
  const consumer: PartitionedConsumer = {
    loadCheckpoints: async (partitions) => {
      // Another copy may have moved these sagas on meanwhile: what is in memory may be stale.
      reactor.forgetSagas();
      await reactor.resumeStopped();
      return loadPartitionCheckpoints(sagaReactorSubscriber, partitions, (name) => checkpoints.load(name));
    },
    handleBatch: async (events, { position, leases }) => {
      await reactor.handleBatch(events);
      ownership.assertValid();
      await checkpoints.storePartitions({ follower: sagaReactorSubscriber, owner: ownership.owner, leases }, position);
    },
  };
  const subscription = startPartitionedSubscription({
    name: sagaReactorSubscriber,
    store: options.eventStore,
    consumer,
    ownership,
    logger: options.logger,
    batchSize: options.batchSize,
    idleWaitMs: options.idleWaitMs,
  });
  return { subscription, reactor };
}
