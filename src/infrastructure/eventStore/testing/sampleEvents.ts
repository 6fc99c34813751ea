import { randomUUID } from 'node:crypto';
import type { NewEvent } from '../../../application/ports/eventStore';
import { currentSchemaVersion } from '../../../application/eventCatalog';
import { streamName, type FulfillmentEvent, type OrderCreated } from '../../../domain/events';
import type { SagaState } from '../../../domain/saga/sagaVocabulary';

/** Valid events for event store tests and benchmarks. */

export function withMetadata<E extends FulfillmentEvent>(event: E, sagaId: string): NewEvent<E> {
  return {
    ...event,
    metadata: {
      eventId: randomUUID(),
      correlationId: sagaId,
      causationId: randomUUID(),
      occurredAt: new Date().toISOString(),
      schemaVersion: currentSchemaVersion(event.type),
    },
  } as NewEvent<E>;
}

export function sampleOrderCreated(
  orderId: string = randomUUID(),
  sagaId: string = randomUUID(),
): NewEvent<OrderCreated> {
  return withMetadata(
    {
      type: 'OrderCreated',
      data: {
        orderId,
        sagaId,
        patientId: 'patient-42',
        prescriberId: null,
        medications: [
          { sku: 'AMOX-500', quantity: 2 },
          { sku: 'IBU-200', quantity: 1 },
        ],
        shippingAddress: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
      },
    },
    sagaId,
  );
}

/** `count` distinct events for one saga, alternating types so readers see more than one shape. */
export function sampleSagaEvents(
  count: number,
  sagaId: string = randomUUID(),
  orderId: string = randomUUID(),
): NewEvent[] {
  return Array.from({ length: count }, (_, index) =>
    index % 2 === 0
      ? withMetadata({ type: 'SagaStarted', data: { sagaId, orderId, machineVersion: index + 1 } }, sagaId)
      : withMetadata(
          {
            type: 'SagaCompensationRecorded',
            data: { sagaId, orderId, compensation: 'CancelOrder', compensationStack: ['CancelOrder'] },
          },
          sagaId,
        ),
  );
}

/** One order's events as the service writes them on the happy path, stream by stream. */
export function sampleFulfilmentLifecycle(orderId: string = randomUUID(), sagaId: string = randomUUID()) {
  const ids = { orderId, sagaId };
  const lines = [{ sku: 'AMOX-500', quantity: 2 }];
  const state = (from: SagaState | null, to: SagaState, currentStep: string | null, stack: string[]) =>
    withMetadata(
      {
        type: 'SagaStateChanged',
        data: {
          ...ids,
          from,
          to,
          currentStep,
          compensationStack: stack,
          machineVersion: 1,
          snapshot: { value: to, context: { ...ids, stack } },
        },
      } as FulfillmentEvent,
      sagaId,
    );
  const recorded = (compensation: string, stack: string[]) =>
    withMetadata(
      {
        type: 'SagaCompensationRecorded',
        data: { ...ids, compensation, compensationStack: stack },
      } as FulfillmentEvent,
      sagaId,
    );
  return [
    { stream: streamName.order(orderId), events: [sampleOrderCreated(orderId, sagaId)] },
    {
      stream: streamName.saga(sagaId),
      events: [
        withMetadata({ type: 'SagaStarted', data: { ...ids, machineVersion: 1 } }, sagaId),
        recorded('CancelOrder', ['CancelOrder']),
        state(null, 'PENDING_PRESCRIPTION', 'CreatePrescription', ['CancelOrder']),
      ],
    },
    {
      stream: streamName.prescription(orderId),
      events: [withMetadata({ type: 'PrescriptionCreated', data: { ...ids, prescriptionId: 'rx-1' } }, sagaId)],
    },
    {
      stream: streamName.saga(sagaId),
      events: [
        recorded('CancelPrescription', ['CancelOrder', 'CancelPrescription']),
        state('PENDING_PRESCRIPTION', 'PENDING_INVENTORY_RESERVATION', 'ReserveInventory', [
          'CancelOrder',
          'CancelPrescription',
        ]),
      ],
    },
    {
      stream: streamName.inventoryReservation(orderId),
      events: [withMetadata({ type: 'InventoryReserved', data: { ...ids, reservationId: 'res-1', lines } }, sagaId)],
    },
    {
      stream: streamName.saga(sagaId),
      events: [
        recorded('ReleaseInventory', ['CancelOrder', 'CancelPrescription', 'ReleaseInventory']),
        state('PENDING_INVENTORY_RESERVATION', 'PENDING_SHIPMENT', 'InitiateShipment', [
          'CancelOrder',
          'CancelPrescription',
          'ReleaseInventory',
        ]),
      ],
    },
    {
      stream: streamName.shipment(orderId),
      events: [
        withMetadata(
          { type: 'ShipmentInitiated', data: { ...ids, shipmentId: 'sh-1', carrier: 'UPS', trackingNumber: '1Z999' } },
          sagaId,
        ),
      ],
    },
    {
      stream: streamName.saga(sagaId),
      events: [
        state('PENDING_SHIPMENT', 'COMPLETED', null, []),
        withMetadata({ type: 'SagaCompleted', data: ids }, sagaId),
      ],
    },
  ] as { stream: string; events: NewEvent[] }[];
}
