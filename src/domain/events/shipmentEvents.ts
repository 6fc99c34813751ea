import type { DomainEvent } from './domainEvent';
import type { StepFailureCode, UnknownOutcomeCode } from './values';

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
    code: Extract<StepFailureCode, 'UNSUPPORTED_DESTINATION' | UnknownOutcomeCode>;
    reason: string;
  }
>;

/**
 * CancelShipment done: a shipment initiated after the saga had given up on it was called back.
 * `shipmentId` is null when the participant found no shipment to cancel.
 */
export type ShipmentCancelled = DomainEvent<
  'ShipmentCancelled',
  {
    orderId: string;
    sagaId: string;
    shipmentId: string | null;
    /**
     * Whether it undid anything: false when the participant had nothing to undo (the step never acted,
     * or was rejected), as for the compensation of a step given up with its outcome unknown. Absent on
     * events written before it was recorded; their `shipmentId` (null: nothing) says the same.
     */
    undone?: boolean;
  }
>;

export type ShipmentEvent = ShipmentInitiated | ShipmentInitiationFailed | ShipmentCancelled;
