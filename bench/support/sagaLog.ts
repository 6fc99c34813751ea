import { v4 as uuidv4 } from 'uuid';
import { placeOrder } from '../../src/application/commands/placeOrder';
import { currentSchemaVersion } from '../../src/application/eventCatalog';
import type { EventStore, NewEvent } from '../../src/application/ports/eventStore';
import { streamName, type FulfillmentEvent } from '../../src/domain/events';

/** The POST /orders body every HTTP bench sends. */
export const orderBody = JSON.stringify({
  patientId: 'patient-bench',
  medications: [
    { sku: 'AMOX-500-CAP', quantity: 2 },
    { sku: 'IBU-200-TAB', quantity: 1 },
  ],
  shippingAddress: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
});

const metadata = (type: FulfillmentEvent['type'], sagaId: string, occurredAt: string) => ({
  eventId: uuidv4(),
  correlationId: sagaId,
  causationId: 'bench',
  occurredAt,
  schemaVersion: currentSchemaVersion(type),
});

/** Writes `sagas` typical lives: OrderCreated, then five saga events to COMPLETED. Returns the events written. */
export async function writeCompletedSagas(eventStore: EventStore, sagas: number): Promise<number> {
  const at = new Date('2024-05-01T10:00:00.000Z');
  let written = 0;
  for (let i = 0; i < sagas; i++) {
    const saga = await placeOrder({ eventStore, clock: { now: () => at } }, JSON.parse(orderBody), {
      causationId: 'bench',
      actor: 'bench',
    });
    const changed = (
      from: string | null,
      to: string,
      currentStep: string | null,
      compensationStack: string[],
    ): NewEvent => {
      const event = {
        type: 'SagaStateChanged',
        data: { ...saga, from, to, currentStep, compensationStack, machineVersion: 1, snapshot: {} },
      } as FulfillmentEvent;
      return { ...event, metadata: metadata(event.type, saga.sagaId, at.toISOString()) } as NewEvent;
    };
    await eventStore.appendToStream(streamName.saga(saga.sagaId), [
      changed(null, 'PENDING_PRESCRIPTION', 'CreatePrescription', ['CancelOrder']),
      changed('PENDING_PRESCRIPTION', 'PENDING_INVENTORY_RESERVATION', 'ReserveInventory', [
        'CancelOrder',
        'CancelPrescription',
      ]),
      changed('PENDING_INVENTORY_RESERVATION', 'PENDING_SHIPMENT', 'InitiateShipment', [
        'CancelOrder',
        'CancelPrescription',
        'ReleaseInventory',
      ]),
      changed('PENDING_SHIPMENT', 'COMPLETED', null, ['CancelOrder', 'CancelPrescription', 'ReleaseInventory']),
      {
        type: 'SagaCompleted',
        data: { sagaId: saga.sagaId, orderId: saga.orderId },
        metadata: metadata('SagaCompleted', saga.sagaId, at.toISOString()),
      } as NewEvent,
    ]);
    written += 6;
  }
  return written;
}
