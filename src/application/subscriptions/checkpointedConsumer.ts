import type { CheckpointStore } from '../ports/checkpointStore';
import type { RecordedEvent } from '../ports/eventStore';
import type { BatchConsumer } from './catchUpSubscription';

/**
 * A consumer whose checkpoint lives in a CheckpointStore, stored after each handled batch. A crash
 * between handling and storing replays the batch, so the handler must be idempotent (the saga
 * reactor is: its jobs have deterministic ids). Projections store their checkpoint with their
 * rows instead and implement BatchConsumer themselves.
 */
export function checkpointedConsumer(
  subscriber: string,
  checkpoints: CheckpointStore,
  handle: (events: readonly RecordedEvent[]) => Promise<void>,
): BatchConsumer {
  return {
    loadCheckpoint: () => checkpoints.load(subscriber),
    handleBatch: async (events) => {
      await handle(events);
      await checkpoints.store(subscriber, events[events.length - 1]!.position);
    },
  };
}
