import type { DomainEvent } from './domainEvent';
import type { MedicationLine, ShortLine, StepFailureCode } from './values';

/** Stream `inventoryReservation-<orderId>`. */

export type InventoryReserved = DomainEvent<
  'InventoryReserved',
  { orderId: string; sagaId: string; reservationId: string; lines: readonly MedicationLine[] }
>;

export type InventoryReservationFailed = DomainEvent<
  'InventoryReservationFailed',
  {
    orderId: string;
    sagaId: string;
    code: Extract<StepFailureCode, 'INSUFFICIENT_STOCK' | 'UNKNOWN_SKU' | 'STEP_TIMEOUT' | 'RETRIES_EXHAUSTED'>;
    reason: string;
    /** With INSUFFICIENT_STOCK: every line that could not be covered. */
    shortLines: readonly ShortLine[];
    /** With UNKNOWN_SKU: every sku the catalog does not know. */
    unknownSkus: readonly string[];
  }
>;

/** The ReleaseInventory compensation ran: exactly what was reserved is available again. */
export type InventoryReleased = DomainEvent<
  'InventoryReleased',
  { orderId: string; sagaId: string; lines: readonly MedicationLine[] }
>;

export type InventoryReservationEvent = InventoryReserved | InventoryReservationFailed | InventoryReleased;
