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

export type ShipmentEvent = ShipmentInitiated | ShipmentInitiationFailed;
