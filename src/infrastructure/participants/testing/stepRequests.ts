import { randomUUID } from 'node:crypto';
import type { StepRequest } from '../../../application/ports/participants';

/** A valid step request for a fresh saga; override what the test is about. */
export const aStepRequest = (overrides: Partial<StepRequest> = {}): StepRequest => ({
  sagaId: randomUUID(),
  orderId: randomUUID(),
  patientId: randomUUID(),
  prescriberId: randomUUID(),
  medications: [{ sku: 'AMOX-500-CAP', quantity: 2 }],
  shippingAddress: { line1: '1 Main Street', city: 'Springfield', postalCode: '12345', country: 'US' },
  ...overrides,
});

export const compensationOf = (request: StepRequest) => ({ sagaId: request.sagaId, orderId: request.orderId });
