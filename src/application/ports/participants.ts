import { FulfillmentError } from '../../domain/errors';
import type { MedicationLine, ShippingAddress, ShortLine } from '../../domain/events/values';

/**
 * The saga's participants (SPEC §4): built-in modules that own their tables, or external HTTP
 * services. Business rejections come back as VALUES (`outcome: 'rejected'`, never retried);
 * transient failures (a database hiccup, a participant that is down or slow) are THROWN, so the
 * job that called retries with backoff.
 *
 * Every operation is idempotent per (sagaId, step): a redelivered call repeats no side effect and
 * answers as the first call did. Once a step has been compensated, its forward call answers
 * `alreadyCompensated`, rather than replaying a success that no longer holds.
 *
 * Nothing to undo is a success: the saga sends a step's compensation even when it gave up on the
 * step without an answer (a timeout, retries spent), so a participant is asked to undo requests it
 * never acted on, or never saw. It answers "nothing undone" (no id, no lines) and leaves a
 * tombstone, so that the forward call, should it arrive afterwards (a try still in flight, a
 * redelivered job), does nothing and answers `alreadyCompensated`: nothing stays half-done.
 */

/** What every forward step receives: the OrderCreated data. */
export type StepRequest = Readonly<{
  sagaId: string;
  orderId: string;
  patientId: string;
  prescriberId: string | null;
  medications: readonly MedicationLine[];
  shippingAddress: ShippingAddress;
}>;

/** What every compensation receives. */
export type CompensationRequest = Readonly<{ sagaId: string; orderId: string }>;

/** The forward call came after the step was compensated (or tombstoned): nothing was done. */
export type AlreadyCompensated = Readonly<{ outcome: 'alreadyCompensated' }>;

export type Rejected<Code extends string, Extra = unknown> = Readonly<{
  outcome: 'rejected';
  code: Code;
  reason: string;
}> &
  Readonly<Extra>;

// Prescriptions

export type CreatePrescriptionOutcome =
  Readonly<{ outcome: 'succeeded'; prescriptionId: string }> | Rejected<'PRESCRIBER_REQUIRED'> | AlreadyCompensated;

export interface PrescriptionsParticipant {
  createPrescription(request: StepRequest): Promise<CreatePrescriptionOutcome>;
  /** `prescriptionId` is null when there was no prescription to cancel: nothing undone. */
  cancelPrescription(request: CompensationRequest): Promise<Readonly<{ prescriptionId: string | null }>>;
}

// Inventory

export type ReserveInventoryOutcome =
  | Readonly<{ outcome: 'succeeded'; reservationId: string; lines: readonly MedicationLine[] }>
  | Rejected<
      'INSUFFICIENT_STOCK' | 'UNKNOWN_SKU',
      {
        /** With INSUFFICIENT_STOCK: every line that could not be covered. */
        shortLines: readonly ShortLine[];
        /** With UNKNOWN_SKU: every sku the catalog does not know. */
        unknownSkus: readonly string[];
      }
    >
  | AlreadyCompensated;

export interface InventoryParticipant {
  /** All or nothing across the order's lines. */
  reserve(request: StepRequest): Promise<ReserveInventoryOutcome>;
  /** Makes exactly what was reserved available again; `lines` is empty when nothing was reserved: nothing undone. */
  release(request: CompensationRequest): Promise<Readonly<{ lines: readonly MedicationLine[] }>>;
}

// Shipping

export type InitiateShipmentOutcome =
  | Readonly<{ outcome: 'succeeded'; shipmentId: string; carrier: string; trackingNumber: string }>
  | Rejected<'UNSUPPORTED_DESTINATION'>
  | AlreadyCompensated;

export interface ShippingParticipant {
  initiateShipment(request: StepRequest): Promise<InitiateShipmentOutcome>;
  /**
   * The CancelShipment compensation. It runs only for a shipment that succeeded after its saga
   * gave up on it (a timeout, or a customer cancel while it was in flight; SPEC §2: a late success
   * is compensated): a shipment in time completes the saga. `shipmentId` is null when there was none.
   */
  cancelShipment(request: CompensationRequest): Promise<Readonly<{ shipmentId: string | null }>>;
}

// Catalog administration (HTTP API `GET/PUT /inventory/:sku`, the `seed` command)

export type CatalogItem = Readonly<{
  sku: string;
  name: string;
  controlled: boolean;
  onHand: number;
  reserved: number;
  /** onHand - reserved, never below 0. */
  available: number;
}>;

export type CatalogItemChange = Readonly<{ name?: string; controlled?: boolean; onHand: number }>;

export interface Catalog {
  getItem(sku: string): Promise<CatalogItem | undefined>;
  /**
   * Creates the item (a name is then required) or updates it. Throws CatalogValidationError for
   * bad input and StockBelowReservedError when `onHand` would drop below what is reserved.
   */
  putItem(sku: string, change: CatalogItemChange): Promise<CatalogItem>;
  /** The items the catalog knows among `skus`; unknown skus are left out. */
  describeItems(skus: readonly string[]): Promise<CatalogItem[]>;
  /** Every item, in sku order, at most `limit` of them. */
  listItems(limit: number): Promise<CatalogItem[]>;
}

/** A catalog change with a missing or invalid field. `details` names each field. */
export class CatalogValidationError extends FulfillmentError {
  constructor(
    sku: string,
    readonly fields: readonly Readonly<{ field: string; message: string }>[],
  ) {
    super(
      'VALIDATION_FAILED',
      `inventory item ${sku} was not saved: ${fields.map((f) => `${f.field} ${f.message}`).join('; ')}`,
      fields,
    );
  }
}

/** `onHand` may not drop below what open reservations hold, or `available` would go negative. */
export class StockBelowReservedError extends FulfillmentError {
  constructor(
    readonly sku: string,
    readonly onHand: number,
    readonly reserved: number,
  ) {
    super(
      'STOCK_BELOW_RESERVED',
      `inventory item ${sku} has ${reserved} units reserved by open orders: onHand must be at least ${reserved} (got ${onHand}); ` +
        'wait for those orders to complete or be cancelled, or set a higher onHand',
      [{ sku, onHand, reserved }],
    );
  }
}

/**
 * A participant could not be reached or did not answer in time. Transient: the job retries it.
 * `participant` names the service, `step` the operation.
 */
export class ParticipantUnavailableError extends FulfillmentError {
  constructor(
    readonly participant: string,
    readonly step: string,
    reason: string,
  ) {
    super(
      'PARTICIPANT_UNAVAILABLE',
      `${participant} participant did not complete ${step}: ${reason}; the step will be retried`,
    );
  }
}

/** A participant answered something outside its contract (a bug or a misconfigured URL). */
export class ParticipantProtocolError extends FulfillmentError {
  constructor(
    readonly participant: string,
    readonly step: string,
    reason: string,
  ) {
    super(
      'PARTICIPANT_PROTOCOL_ERROR',
      `${participant} participant answered ${step} outside its contract: ${reason}; check the participant's URL and version`,
    );
  }
}
