import type { DomainEvent } from './domainEvent';
import type { StepFailureCode } from './values';

/** Stream `shipment-<orderId>`. */

export type ShipmentInitiated = DomainEvent<
  'ShipmentInitiated',
  { orderId: string; sagaId: string; shipmentId: string; carrier: string; trackingNumber: string }
>;

export type ShipmentInitiationFailed = DomainEvent<
  'ShipmentInitiationFailed',
  {
    orderId: string;
    sagaId: string;
    code: Extract<StepFailureCode, 'UNSUPPORTED_DESTINATION' | 'STEP_TIMEOUT' | 'RETRIES_EXHAUSTED'>;
    reason: string;
  }
>;

/**
 * CancelShipment done: a shipment initiated after the saga had given up on it was called back.
 * `shipmentId` is null when the participant found no shipment to cancel.
 */
export type ShipmentCancelled = DomainEvent<
  'ShipmentCancelled',
  { orderId: string; sagaId: string; shipmentId: string | null }
>;

export type ShipmentEvent = ShipmentInitiated | ShipmentInitiationFailed | ShipmentCancelled;
