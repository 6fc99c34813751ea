import type { DomainEvent } from './domainEvent';
import type { MedicationLine, ShippingAddress } from './values';

/** Stream `order-<orderId>`. */

export type OrderCreated = DomainEvent<
  'OrderCreated',
  {
    orderId: string;
    sagaId: string;
    patientId: string;
    prescriberId: string | null;
    medications: readonly MedicationLine[];
    shippingAddress: ShippingAddress;
  }
>;

export type OrderCancellationRequested = DomainEvent<
  'OrderCancellationRequested',
  { orderId: string; sagaId: string; reason: string | null }
>;

/** The CancelOrder compensation ran. */
export type OrderCancelled = DomainEvent<'OrderCancelled', { orderId: string; sagaId: string; reason: string }>;

export type OrderEvent = OrderCreated | OrderCancellationRequested | OrderCancelled;
