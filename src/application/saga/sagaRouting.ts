import type { FulfillmentEventType, OrderCreated } from '../../domain/events';
import { sagaInputTypes, type SagaInput } from '../../domain/saga';
import type { RecordedEvent } from '../ports/eventStore';

/**
 * Which saga an event of the global order concerns, and how. `OrderCreated` starts a saga; the
 * saga's inputs (step and compensation outcomes, the customer's cancellation, and on the saga
 * stream what workers and operators append) advance one, found by `data.sagaId`. The saga's own
 * lifecycle events are its output, never its input.
 */
export type SagaRoute =
  | Readonly<{ kind: 'start'; sagaId: string; orderId: string; event: RecordedEvent<OrderCreated> }>
  | Readonly<{ kind: 'advance'; sagaId: string; orderId: string; event: RecordedEvent<SagaInput> }>;

/** The lifecycle events only the reactor appends: the record of which inputs it has reacted to. */
export const sagaLifecycleTypes: ReadonlySet<FulfillmentEventType> = new Set([
  'SagaStarted',
  'SagaStateChanged',
  'SagaCompensationRecorded',
  'SagaFailed',
  'SagaCompleted',
]);

const inputTypes: ReadonlySet<string> = new Set(sagaInputTypes);

export function routeToSaga(event: RecordedEvent): SagaRoute | undefined {
  if (event.type === 'OrderCreated') {
    const { sagaId, orderId } = event.data;
    return { kind: 'start', sagaId, orderId, event: event as RecordedEvent<OrderCreated> };
  }
  if (!inputTypes.has(event.type)) return undefined;
  const { sagaId, orderId } = event.data as Readonly<{ sagaId: string; orderId: string }>;
  return { kind: 'advance', sagaId, orderId, event: event as RecordedEvent<SagaInput> };
}
