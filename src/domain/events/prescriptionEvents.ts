import type { DomainEvent } from './domainEvent';
import type { StepFailureCode } from './values';

/** Stream `prescription-<orderId>`. */

export type PrescriptionCreated = DomainEvent<
  'PrescriptionCreated',
  { orderId: string; sagaId: string; prescriptionId: string }
>;

export type PrescriptionFailed = DomainEvent<
  'PrescriptionFailed',
  { orderId: string; sagaId: string; code: Extract<StepFailureCode, 'PRESCRIBER_REQUIRED' | 'STEP_TIMEOUT' | 'RETRIES_EXHAUSTED'>; reason: string }
>;

/** The CancelPrescription compensation ran. */
export type PrescriptionCancelled = DomainEvent<
  'PrescriptionCancelled',
  { orderId: string; sagaId: string; prescriptionId: string | null }
>;

export type PrescriptionEvent = PrescriptionCreated | PrescriptionFailed | PrescriptionCancelled;
