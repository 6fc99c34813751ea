import { streamName, type OrderCreated } from '../../domain/events';
import type { SagaState } from '../../domain/saga/sagaVocabulary';
import { eventMetadata, type CommandDependencies, type CommandOrigin } from './commandContext';
import { newOrderIds } from './orderIds';
import type { PlaceOrderInput } from './placeOrderInput';

export type PlacedOrder = Readonly<{ orderId: string; sagaId: string; state: SagaState }>;

/** Accepts an order: one OrderCreated on a new order stream. The saga reactor takes it from there. */
export async function placeOrder(
  { eventStore, clock }: Pick<CommandDependencies, 'eventStore' | 'clock'>,
  input: PlaceOrderInput,
  origin: CommandOrigin,
): Promise<PlacedOrder> {
  const { sagaId, orderId } = newOrderIds();
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
  await eventStore.appendToStream(
    streamName.order(orderId),
    [{ ...event, metadata: eventMetadata(event.type, sagaId, origin, clock) }],
    { expectedRevision: 'no_stream' },
  );
  return { orderId, sagaId, state: 'PENDING_PRESCRIPTION' };
}
