import type { InventoryReservationEvent } from './inventoryReservationEvents';
import type { OrderEvent } from './orderEvents';
import type { PrescriptionEvent } from './prescriptionEvents';
import type { SagaEvent } from './sagaEvents';
import type { ShipmentEvent } from './shipmentEvents';

export * from './domainEvent';
export * from './values';
export * from './streams';
export type * from './orderEvents';
export type * from './sagaEvents';
export type * from './prescriptionEvents';
export type * from './inventoryReservationEvents';
export type * from './shipmentEvents';

/** Every event the service stores, one discriminated union on `type`. */
export type FulfillmentEvent = OrderEvent | SagaEvent | PrescriptionEvent | InventoryReservationEvent | ShipmentEvent;
export type FulfillmentEventType = FulfillmentEvent['type'];
