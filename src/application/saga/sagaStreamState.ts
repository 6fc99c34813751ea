import type { SagaStateChanged } from '../../domain/events';
import type { PersistedSaga } from '../../domain/saga';
import type { RecordedEvent } from '../ports/eventStore';
import { sagaLifecycleTypes } from './sagaRouting';

/**
 * What the reactor needs to know of a saga stream: the persisted machine (from the stream's last
 * SagaStateChanged), the revision to append after, and which input events it has reacted to
 * already (the causation ids of its own lifecycle events), so that a redelivered input is
 * recognised rather than decided a second time.
 */
export type SagaStreamState = Readonly<{
  /** Undefined until the saga has started. */
  persisted: PersistedSaga | undefined;
  revision: number | 'no_stream';
  handledInputs: ReadonlySet<string>;
}>;

export const notStarted: SagaStreamState = { persisted: undefined, revision: 'no_stream', handledInputs: new Set() };

export function sagaStreamState(events: readonly RecordedEvent[]): SagaStreamState {
  let persisted: PersistedSaga | undefined;
  const handledInputs = new Set<string>();
  for (const event of events) {
    if (!sagaLifecycleTypes.has(event.type)) continue;
    handledInputs.add(event.metadata.causationId);
    if (event.type === 'SagaStateChanged') persisted = persistedFrom(event.data);
  }
  return { persisted, revision: events.at(-1)?.revision ?? 'no_stream', handledInputs };
}

/**
 * The saga as it was just before it reacted to `inputEventId`: what a redelivered input is decided
 * against, so that the reaction (and the jobs it sends) is the same as the first time.
 */
export function persistedBefore(events: readonly RecordedEvent[], inputEventId: string): PersistedSaga | undefined {
  let persisted: PersistedSaga | undefined;
  for (const event of events) {
    if (sagaLifecycleTypes.has(event.type) && event.metadata.causationId === inputEventId) return persisted;
    if (event.type === 'SagaStateChanged') persisted = persistedFrom(event.data);
  }
  return persisted;
}

const persistedFrom = (data: SagaStateChanged['data']): PersistedSaga => ({
  machineVersion: data.machineVersion,
  snapshot: data.snapshot,
});
