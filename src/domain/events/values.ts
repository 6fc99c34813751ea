/** Value types shared by several streams' events. */

export type MedicationLine = Readonly<{ sku: string; quantity: number }>;

export type ShippingAddress = Readonly<{
  line1: string;
  line2?: string;
  city: string;
  postalCode: string;
  /** ISO 3166-1 alpha-2, upper case. */
  country: string;
}>;

/** Why a participant refused a step. These are business rejections: they are never retried. */
export type BusinessRejectionCode = 'PRESCRIBER_REQUIRED' | 'INSUFFICIENT_STOCK' | 'UNKNOWN_SKU' | 'UNSUPPORTED_DESTINATION';

/**
 * Why a step failed: a participant's business rejection, no outcome by the step's deadline, or
 * transient errors that outlasted the retry policy.
 */
export type StepFailureCode = BusinessRejectionCode | 'STEP_TIMEOUT' | 'RETRIES_EXHAUSTED';

export type ShortLine = Readonly<{ sku: string; requested: number; available: number }>;
