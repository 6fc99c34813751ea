import {
  streamName,
  type InventoryReservationFailed,
  type PrescriptionFailed,
  type ShipmentInitiationFailed,
} from '../../domain/events';
import type { ForwardStepName } from '../../domain/saga/sagaVocabulary';

/** Where each forward step reports, and the event types that count as its outcome. */
export const stepStreams = {
  CreatePrescription: {
    stream: streamName.prescription,
    succeeded: 'PrescriptionCreated',
    failed: 'PrescriptionFailed',
  },
  ReserveInventory: {
    stream: streamName.inventoryReservation,
    succeeded: 'InventoryReserved',
    failed: 'InventoryReservationFailed',
  },
  InitiateShipment: { stream: streamName.shipment, succeeded: 'ShipmentInitiated', failed: 'ShipmentInitiationFailed' },
} as const satisfies Record<
  ForwardStepName,
  { stream: (orderId: string) => string; succeeded: string; failed: string }
>;

export type StepFailedEvent = PrescriptionFailed | InventoryReservationFailed | ShipmentInitiationFailed;

/** The failure the saga is told about when a step has no outcome of its own: a timeout or exhausted retries. */
export function stepFailedEvent(
  step: ForwardStepName,
  ids: Readonly<{ sagaId: string; orderId: string }>,
  code: 'STEP_TIMEOUT' | 'RETRIES_EXHAUSTED',
  reason: string,
): StepFailedEvent {
  const data = { sagaId: ids.sagaId, orderId: ids.orderId, code, reason };
  switch (step) {
    case 'CreatePrescription':
      return { type: 'PrescriptionFailed', data };
    case 'ReserveInventory':
      return { type: 'InventoryReservationFailed', data: { ...data, shortLines: [], unknownSkus: [] } };
    case 'InitiateShipment':
      return { type: 'ShipmentInitiationFailed', data };
  }
}
