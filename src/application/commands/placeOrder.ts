import { streamName, type OrderCreated } from '../../domain/events';
import type { SagaState } from '../../domain/saga/sagaVocabulary';
import { ConcurrencyError } from '../errors';
import { RequestKeyReusedError } from './fulfillmentErrors';
import { eventMetadata, type CommandDependencies, type CommandOrigin } from './commandContext';
import { newOrderIds } from './orderIds';
import type { PlaceOrderInput } from './placeOrderInput';

export type PlacedOrder = Readonly<{ orderId: string; sagaId: string; state: SagaState }>;

/**
 * Accepts an order: one OrderCreated on a new order stream. The saga reactor takes it from there.
 * A request with a key of its own always names the same order: if its first try placed it (and
 * the answer was lost to a crash), a retry finds it there and answers as the first try would have.
 */
export async function placeOrder(
  { eventStore, clock }: Pick<CommandDependencies, 'eventStore' | 'clock'>,
  input: PlaceOrderInput,
  origin: CommandOrigin,
): Promise<PlacedOrder> {
  const { sagaId, orderId } = newOrderIds(origin.requestKey);
  const event: OrderCreated = {
    type: 'OrderCreated',
    data: {
      orderId,
      sagaId,
      patientId: input.patientId,
      prescriberId: input.prescriberId ?? null,
      medications: input.medications.map(({ sku, quantity }) => ({ sku, quantity })),
      shippingAddress: input.shippingAddress,
    },
  };
  try {
    await eventStore.appendToStream(
      streamName.order(orderId),
      [{ ...event, metadata: eventMetadata(event.type, sagaId, origin, clock) }],
      { expectedRevision: 'no_stream' },
    );
  } catch (error) {
    if (!(error instanceof ConcurrencyError) || origin.requestKey === undefined) throw error;
    const [placed] = await eventStore.readStream(streamName.order(orderId), { maxCount: 1 });
    if (placed?.type !== 'OrderCreated' || placed.data.sagaId !== sagaId) throw error;
    // The key's order was placed with another body (its first try failed on our side, freeing the key).
    if (canonical(placed.data) !== canonical(event.data)) throw new RequestKeyReusedError();
  }
  return { orderId, sagaId, state: 'PENDING_PRESCRIPTION' };
}

/** JSON with object keys sorted and absent fields left out: equal orders give equal text. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, field]) => field !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([key, field]) => `${JSON.stringify(key)}:${canonical(field)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
