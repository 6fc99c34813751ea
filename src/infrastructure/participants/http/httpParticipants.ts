import { z } from 'zod';
import {
  ParticipantProtocolError,
  type CompensationRequest,
  type InventoryParticipant,
  type PrescriptionsParticipant,
  type ShippingParticipant,
  type StepRequest,
} from '../../../application/ports/participants';
import type { ParticipantAnswer, ParticipantHttpClient } from './participantHttpClient';

/**
 * The participants as external HTTP services. The REST contract a service implements:
 *
 * | call                                        | body                  | 2xx body                                     |
 * |---------------------------------------------|-----------------------|----------------------------------------------|
 * | POST {base}/prescriptions                   | step request          | `{ prescriptionId }`                         |
 * | POST {base}/prescriptions/{sagaId}/cancel   | `{ sagaId, orderId }` | `{ prescriptionId: string \| null }`          |
 * | POST {base}/reservations                    | step request          | `{ reservationId, lines: [{ sku, quantity }] }` |
 * | POST {base}/reservations/{sagaId}/release   | `{ sagaId, orderId }` | `{ lines: [{ sku, quantity }] }`              |
 * | POST {base}/shipments                       | step request          | `{ shipmentId, carrier, trackingNumber }`    |
 * | POST {base}/shipments/{sagaId}/cancel       | `{ sagaId, orderId }` | `{ shipmentId: string \| null }`              |
 *
 * The step request is the OrderCreated data:
 * `{ sagaId, orderId, patientId, prescriberId, medications: [{ sku, quantity }], shippingAddress }`.
 * Every call carries `Idempotency-Key: <sagaId>-<step>` (step: CreatePrescription,
 * CancelPrescription, ReserveInventory, ReleaseInventory, InitiateShipment, CancelShipment); a
 * service must answer a repeated key as it did the first time and repeat no side effect.
 *
 * Other answers:
 * - 422 `{ error: { code, message, details } }`: a business rejection, never retried. Codes:
 *   PRESCRIBER_REQUIRED; INSUFFICIENT_STOCK with `details: [{ sku, requested, available }]` (every
 *   short line); UNKNOWN_SKU with `details: [{ sku }]` (every unknown sku); UNSUPPORTED_DESTINATION.
 * - 409 `{ error: { code: "ALREADY_COMPENSATED" } }` to a forward call: the step was cancelled or
 *   released before it arrived (the cancel left a tombstone); nothing was done.
 * - 408, 429, 5xx, no answer in time, network errors: transient, retried with backoff.
 *
 * Compensations are sent for steps the saga gave up on without an answer (a timeout, retries
 * spent: the service may have acted, or not, or not yet). To a compensation of a request it never
 * acted on, or never received, a service answers 2xx with nothing undone — `prescriptionId: null`,
 * `lines: []`, `shipmentId: null` — and remembers the saga (a tombstone): a forward call for that
 * saga arriving afterwards must do nothing and answer 409 ALREADY_COMPENSATED. A 5xx instead is
 * retried, and the saga ends in MANUAL_REVIEW if it persists.
 */

const medicationLines = z.array(z.object({ sku: z.string(), quantity: z.number().int().positive() }));

const prescriptionCreated = z.object({ prescriptionId: z.string().min(1) });
const prescriptionCancelled = z.object({ prescriptionId: z.string().min(1).nullable() });
const inventoryReserved = z.object({ reservationId: z.string().min(1), lines: medicationLines });
const inventoryReleased = z.object({ lines: medicationLines });
const shipmentInitiated = z.object({
  shipmentId: z.string().min(1),
  carrier: z.string().min(1),
  trackingNumber: z.string().min(1),
});
const shipmentCancelled = z.object({ shipmentId: z.string().min(1).nullable() });
const shortLineDetails = z.array(z.object({ sku: z.string(), requested: z.number(), available: z.number() }));
const unknownSkuDetails = z.array(z.object({ sku: z.string() }));

const compensationBody = ({ sagaId, orderId }: CompensationRequest) => ({ sagaId, orderId });
const sagaPath = (resource: string, sagaId: string, action: string) =>
  `/${resource}/${encodeURIComponent(sagaId)}/${action}`;

/** Reads a 2xx body, or fails as a protocol error naming what was wrong with it. */
function bodyOf<T>(participant: string, step: string, answer: ParticipantAnswer, schema: z.ZodType<T>): T {
  if (answer.kind !== 'ok')
    throw new ParticipantProtocolError(participant, step, `expected a success, got ${answer.kind}`);
  const parsed = schema.safeParse(answer.body);
  if (!parsed.success)
    throw new ParticipantProtocolError(participant, step, `unexpected body: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

function unexpectedRejection(participant: string, step: string, answer: { code: string }): never {
  throw new ParticipantProtocolError(participant, step, `rejection code ${answer.code} is not one ${step} can answer`);
}

export function createHttpPrescriptions(http: ParticipantHttpClient): PrescriptionsParticipant {
  const participant = 'prescriptions';
  return {
    async createPrescription(request: StepRequest) {
      const step = 'CreatePrescription';
      const answer = await http.post({ path: '/prescriptions', step, sagaId: request.sagaId, body: request });
      if (answer.kind === 'alreadyCompensated') return { outcome: 'alreadyCompensated' };
      if (answer.kind === 'rejected') {
        if (answer.code !== 'PRESCRIBER_REQUIRED') unexpectedRejection(participant, step, answer);
        return { outcome: 'rejected', code: answer.code, reason: answer.message };
      }
      return { outcome: 'succeeded', ...bodyOf(participant, step, answer, prescriptionCreated) };
    },

    async cancelPrescription(request) {
      const step = 'CancelPrescription';
      const path = sagaPath('prescriptions', request.sagaId, 'cancel');
      const answer = await http.post({ path, step, sagaId: request.sagaId, body: compensationBody(request) });
      return bodyOf(participant, step, answer, prescriptionCancelled);
    },
  };
}

export function createHttpInventory(http: ParticipantHttpClient): InventoryParticipant {
  const participant = 'inventory';
  return {
    async reserve(request) {
      const step = 'ReserveInventory';
      const answer = await http.post({ path: '/reservations', step, sagaId: request.sagaId, body: request });
      if (answer.kind === 'alreadyCompensated') return { outcome: 'alreadyCompensated' };
      if (answer.kind === 'rejected') {
        const rejected = { outcome: 'rejected', reason: answer.message, shortLines: [], unknownSkus: [] } as const;
        if (answer.code === 'INSUFFICIENT_STOCK') {
          const shortLines = shortLineDetails.safeParse(answer.details);
          return { ...rejected, code: answer.code, shortLines: shortLines.success ? shortLines.data : [] };
        }
        if (answer.code === 'UNKNOWN_SKU') {
          const unknown = unknownSkuDetails.safeParse(answer.details);
          return {
            ...rejected,
            code: answer.code,
            unknownSkus: unknown.success ? unknown.data.map((line) => line.sku) : [],
          };
        }
        unexpectedRejection(participant, step, answer);
      }
      return { outcome: 'succeeded', ...bodyOf(participant, step, answer, inventoryReserved) };
    },

    async release(request) {
      const step = 'ReleaseInventory';
      const path = sagaPath('reservations', request.sagaId, 'release');
      const answer = await http.post({ path, step, sagaId: request.sagaId, body: compensationBody(request) });
      return bodyOf(participant, step, answer, inventoryReleased);
    },
  };
}

export function createHttpShipping(http: ParticipantHttpClient): ShippingParticipant {
  const participant = 'shipping';
  return {
    async initiateShipment(request) {
      const step = 'InitiateShipment';
      const answer = await http.post({ path: '/shipments', step, sagaId: request.sagaId, body: request });
      if (answer.kind === 'alreadyCompensated') return { outcome: 'alreadyCompensated' };
      if (answer.kind === 'rejected') {
        if (answer.code !== 'UNSUPPORTED_DESTINATION') unexpectedRejection(participant, step, answer);
        return { outcome: 'rejected', code: answer.code, reason: answer.message };
      }
      return { outcome: 'succeeded', ...bodyOf(participant, step, answer, shipmentInitiated) };
    },

    async cancelShipment(request) {
      const step = 'CancelShipment';
      const path = sagaPath('shipments', request.sagaId, 'cancel');
      const answer = await http.post({ path, step, sagaId: request.sagaId, body: compensationBody(request) });
      return bodyOf(participant, step, answer, shipmentCancelled);
    },
  };
}
