import type { RecordedEvent } from '../ports/eventStore';
import type { Projection } from './projection';
import { evolveSagaSummary, sagaSummaryEventTypes, type SagaSummary } from './sagaSummary';

/**
 * The `order_fulfillment_sagas` read model (SPEC §6): one row per saga, folded from the order and
 * saga streams. Each row remembers the last global position it applied, and the fold ignores
 * anything at or below it, so replaying a batch (or the whole log) is safe.
 */
export interface SagaSummaryWriter {
  /** The stored rows of these sagas; sagas without a row are absent from the map. */
  load(sagaIds: readonly string[]): Promise<ReadonlyMap<string, SagaSummary>>;
  /** Inserts or replaces each row, keyed by sagaId. */
  save(summaries: readonly SagaSummary[]): Promise<void>;
  truncate(): Promise<void>;
}

export const orderFulfillmentSagasProjectionName = 'order_fulfillment_sagas';

export const orderFulfillmentSagasProjection: Projection<SagaSummaryWriter> = {
  name: orderFulfillmentSagasProjectionName,
  canHandle: sagaSummaryEventTypes,
  async handle(events, store) {
    const sagaIds = [...new Set(events.map(sagaIdOf))];
    const summaries = new Map(await store.load(sagaIds));
    const changed = new Set<string>();
    for (const event of events) {
      const sagaId = sagaIdOf(event);
      const before = summaries.get(sagaId);
      const after = evolveSagaSummary(before, event);
      if (after && after !== before) {
        summaries.set(sagaId, after);
        changed.add(sagaId);
      }
    }
    await store.save([...changed].map((sagaId) => summaries.get(sagaId)!));
  },
  truncate: (store) => store.truncate(),
};

/** Every event this projection reads carries its saga id in its data. */
const sagaIdOf = (event: RecordedEvent): string => (event.data as { sagaId: string }).sagaId;
