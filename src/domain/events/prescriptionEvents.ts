import type { DomainEvent } from './domainEvent';
import type { StepFailureCode, UnknownOutcomeCode } from './values';

/** Stream `prescription-<orderId>`. */

export type PrescriptionCreated = DomainEvent<
  'PrescriptionCreated',
  { orderId: string; sagaId: string; prescriptionId: string }
>;

export type PrescriptionFailed = DomainEvent<
  'PrescriptionFailed',
  {
    orderId: string;
    sagaId: string;
    code: Extract<StepFailureCode, 'PRESCRIBER_REQUIRED' | UnknownOutcomeCode>;
    reason: string;
  }
>;

/** The CancelPrescription compensation ran. */
export type PrescriptionCancelled = DomainEvent<
  'PrescriptionCancelled',
  {
    orderId: string;
    sagaId: string;
    prescriptionId: string | null;
    /**
     * Whether it undid anything: false when the participant had nothing to undo (the step never acted,
     * or was rejected), as for the compensation of a step given up with its outcome unknown. Absent on
     * events written before it was recorded; their `prescriptionId` (null: nothing) says the same.
     */
    undone?: boolean;
  }
>;

export type PrescriptionEvent = PrescriptionCreated | PrescriptionFailed | PrescriptionCancelled;
