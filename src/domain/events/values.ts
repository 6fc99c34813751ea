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
export type BusinessRejectionCode =
  'PRESCRIBER_REQUIRED' | 'INSUFFICIENT_STOCK' | 'UNKNOWN_SKU' | 'UNSUPPORTED_DESTINATION';

/**
 * Recorded by the saga's side when it gave up on a step without an answer: no answer by the step's
 * deadline, or transient errors that outlasted the retry policy. The participant may have acted all
 * the same, so the step's outcome is unknown, not negative: the saga compensates it (docs/saga.md,
 * "Unknown outcomes are compensated"). Declared once here; everything else derives from it.
 */
export const unknownOutcomeCodes = ['STEP_TIMEOUT', 'RETRIES_EXHAUSTED'] as const;
export type UnknownOutcomeCode = (typeof unknownOutcomeCodes)[number];

export const isUnknownOutcome = (code: string): code is UnknownOutcomeCode =>
  (unknownOutcomeCodes as readonly string[]).includes(code);

/** Why a step failed: a participant's business rejection (a known negative), or an unknown outcome. */
export type StepFailureCode = BusinessRejectionCode | UnknownOutcomeCode;

export type ShortLine = Readonly<{ sku: string; requested: number; available: number }>;
