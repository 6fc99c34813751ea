import type { CompensationJob, StepJob } from '../application/ports/jobQueue';

/** Complete jobs for tests and benchmarks of the queues, which treat a job as opaque data. */
export function sampleStepJob(overrides: Partial<StepJob> & Pick<StepJob, 'sagaId'>): StepJob {
  const orderId = overrides.orderId ?? `order-of-${overrides.sagaId}`;
  return {
    kind: 'step',
    name: 'CreatePrescription',
    orderId,
    causationId: 'test-cause',
    deadlineMs: 30_000,
    request: {
      sagaId: overrides.sagaId,
      orderId,
      patientId: 'patient-1',
      prescriberId: null,
      medications: [{ sku: 'AMOX-500', quantity: 2 }],
      shippingAddress: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
    },
    ...overrides,
  };
}

export function sampleCompensationJob(
  overrides: Partial<CompensationJob> & Pick<CompensationJob, 'sagaId'>,
): CompensationJob {
  return {
    kind: 'compensation',
    name: 'CancelOrder',
    orderId: `order-of-${overrides.sagaId}`,
    causationId: 'test-cause',
    round: 0,
    reason: 'a test unwinds',
    ...overrides,
  };
}
