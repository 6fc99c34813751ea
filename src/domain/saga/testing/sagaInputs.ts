import type { SagaInput, SagaInputType } from '../sagaInput';
import { compensationNames, type CompensationName } from '../sagaVocabulary';

/** Representative inputs for one saga, by type; test data only. */
export const sagaId = '6f1c1e44-8a53-4b55-9a53-0d1c8c7b1a01';
export const orderId = '0b6f3f6e-2f0e-4a4e-8f5e-6e9d8a1f2b02';
const ids = { sagaId, orderId };

/** A participant's rejection, or one of the saga's side giving up with the outcome unknown. */
type GivenUp = 'STEP_TIMEOUT' | 'RETRIES_EXHAUSTED';
const givenUpReason = { STEP_TIMEOUT: 'no outcome by the deadline', RETRIES_EXHAUSTED: 'kept failing: 500' };

export const inputs = {
  prescriptionCreated: (): SagaInput => ({ type: 'PrescriptionCreated', data: { ...ids, prescriptionId: 'rx-1' } }),
  prescriptionFailed: (code: 'PRESCRIBER_REQUIRED' | GivenUp = 'PRESCRIBER_REQUIRED'): SagaInput => ({
    type: 'PrescriptionFailed',
    data: { ...ids, code, reason: code === 'PRESCRIBER_REQUIRED' ? 'controlled medication' : givenUpReason[code] },
  }),
  prescriptionCancelled: (): SagaInput => ({ type: 'PrescriptionCancelled', data: { ...ids, prescriptionId: 'rx-1' } }),
  inventoryReserved: (): SagaInput => ({
    type: 'InventoryReserved',
    data: { ...ids, reservationId: 'res-1', lines: [{ sku: 'AMOX-500', quantity: 2 }] },
  }),
  inventoryReservationFailed: (code: 'INSUFFICIENT_STOCK' | GivenUp = 'INSUFFICIENT_STOCK'): SagaInput => ({
    type: 'InventoryReservationFailed',
    data: {
      ...ids,
      code,
      reason: code === 'INSUFFICIENT_STOCK' ? 'AMOX-500: 2 requested, 1 available' : givenUpReason[code],
      shortLines: code === 'INSUFFICIENT_STOCK' ? [{ sku: 'AMOX-500', requested: 2, available: 1 }] : [],
      unknownSkus: [],
    },
  }),
  inventoryReleased: (): SagaInput => ({
    type: 'InventoryReleased',
    data: { ...ids, lines: [{ sku: 'AMOX-500', quantity: 2 }] },
  }),
  shipmentInitiated: (): SagaInput => ({
    type: 'ShipmentInitiated',
    data: { ...ids, shipmentId: 'sh-1', carrier: 'DHL', trackingNumber: 'TRK1' },
  }),
  shipmentInitiationFailed: (code: 'UNSUPPORTED_DESTINATION' | GivenUp = 'UNSUPPORTED_DESTINATION'): SagaInput => ({
    type: 'ShipmentInitiationFailed',
    data: { ...ids, code, reason: code === 'UNSUPPORTED_DESTINATION' ? 'KP is not served' : givenUpReason[code] },
  }),
  shipmentCancelled: (): SagaInput => ({ type: 'ShipmentCancelled', data: { ...ids, shipmentId: 'sh-1' } }),
  cancellationRequested: (): SagaInput => ({
    type: 'OrderCancellationRequested',
    data: { ...ids, reason: 'changed my mind' },
  }),
  orderCancelled: (): SagaInput => ({ type: 'OrderCancelled', data: { ...ids, reason: 'saga unwound' } }),
  compensationFailed: (compensation: CompensationName, round = 0): SagaInput => ({
    type: 'SagaCompensationFailed',
    data: { ...ids, compensation, round, reason: `${compensation} participant unreachable` },
  }),
  retryRequested: (compensation: CompensationName, round = 0): SagaInput => ({
    type: 'SagaRetryRequested',
    data: { ...ids, compensation, round, requestedBy: 'operator-1' },
  }),
  resolvedManually: (note = 'refunded and restocked by hand'): SagaInput => ({
    type: 'SagaResolvedManually',
    data: { ...ids, note, resolvedBy: 'operator-1' },
  }),
};

/** The event a participant appends when a compensation has run. */
export const compensationDone: Record<CompensationName, () => SagaInput> = {
  CancelOrder: inputs.orderCancelled,
  CancelPrescription: inputs.prescriptionCancelled,
  ReleaseInventory: inputs.inventoryReleased,
  CancelShipment: inputs.shipmentCancelled,
};

/** Every input type with the data variants that matter to the saga (codes, compensations, rounds). */
export function everyInput(rounds: readonly number[]): SagaInput[] {
  return [
    inputs.prescriptionCreated(),
    inputs.prescriptionFailed(),
    inputs.prescriptionFailed('STEP_TIMEOUT'),
    inputs.prescriptionCancelled(),
    inputs.inventoryReserved(),
    inputs.inventoryReservationFailed(),
    inputs.inventoryReservationFailed('STEP_TIMEOUT'),
    inputs.inventoryReleased(),
    inputs.shipmentInitiated(),
    inputs.shipmentInitiationFailed(),
    inputs.shipmentInitiationFailed('STEP_TIMEOUT'),
    inputs.shipmentCancelled(),
    inputs.cancellationRequested(),
    inputs.orderCancelled(),
    ...compensationNames.flatMap((compensation) =>
      rounds.flatMap((round) => [
        inputs.compensationFailed(compensation, round),
        inputs.retryRequested(compensation, round),
      ]),
    ),
    inputs.resolvedManually(),
  ];
}

export const typesOf = (list: readonly SagaInput[]): Set<SagaInputType> => new Set(list.map((input) => input.type));
