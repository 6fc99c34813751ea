import type { DomainEvent } from './domainEvent';
import type { MedicationLine, ShortLine, StepFailureCode, UnknownOutcomeCode } from './values';

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
    code: Extract<StepFailureCode, 'INSUFFICIENT_STOCK' | 'UNKNOWN_SKU' | UnknownOutcomeCode>;
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
  {
    orderId: string;
    sagaId: string;
    lines: readonly MedicationLine[];
    /**
     * Whether it undid anything: false when the participant had nothing to undo (the step never acted,
     * or was rejected), as for the compensation of a step given up with its outcome unknown. Absent on
     * events written before it was recorded; their `lines` (empty: nothing) says the same.
     */
    undone?: boolean;
  }
>;

export type InventoryReservationEvent = InventoryReserved | InventoryReservationFailed | InventoryReleased;
