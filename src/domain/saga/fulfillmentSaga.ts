import { defineSaga, type RetryPolicy } from './sagaDefinition';
import type { ForwardStepName } from './sagaVocabulary';

/** SPEC §2: prescription → inventory reservation → shipment; CancelOrder at the bottom of the stack. */

export type FulfillmentSagaSettings = Readonly<{
  /** From configuration (PRESCRIPTION_DEADLINE_MS, INVENTORY_DEADLINE_MS, SHIPMENT_DEADLINE_MS). */
  stepDeadlinesMs: Readonly<Record<ForwardStepName, number>>;
  retry: RetryPolicy;
}>;

/**
 * Bump when a stored saga would no longer mean the same to the machine: a state or a context field
 * renamed, removed or reshaped (snapshots), or an input decided differently (histories are
 * replayed). Sagas of the old version are then refused, never guessed at. Still 1: version 1
 * snapshots written before InitiateShipment had CancelShipment restore unchanged (same states, same
 * context, and their stacks hold no CancelShipment), and the engine that classifies each input once
 * (sagaSignals.ts) decides every input as the one before it did.
 */
export const fulfillmentSagaMachineVersion = 1;

export function fulfillmentSaga({ stepDeadlinesMs, retry }: FulfillmentSagaSettings) {
  return defineSaga({
    name: 'orderFulfillment',
    machineVersion: fulfillmentSagaMachineVersion,
    initialCompensation: { name: 'CancelOrder', completedOn: 'OrderCancelled', retry },
    steps: [
      {
        name: 'CreatePrescription',
        state: 'PENDING_PRESCRIPTION',
        succeededOn: 'PrescriptionCreated',
        failedOn: 'PrescriptionFailed',
        compensation: { name: 'CancelPrescription', completedOn: 'PrescriptionCancelled', retry },
        deadlineMs: stepDeadlinesMs.CreatePrescription,
        retry,
        required: true,
      },
      {
        name: 'ReserveInventory',
        state: 'PENDING_INVENTORY_RESERVATION',
        succeededOn: 'InventoryReserved',
        failedOn: 'InventoryReservationFailed',
        compensation: { name: 'ReleaseInventory', completedOn: 'InventoryReleased', retry },
        deadlineMs: stepDeadlinesMs.ReserveInventory,
        retry,
        required: true,
      },
      {
        // The last step: a shipment initiated in time completes the saga and nothing after it can
        // fail, so CancelShipment then stays on the stack unrun, like every other compensation of a
        // completed saga. It runs only for a shipment that succeeds after the step was given up (a
        // timeout, or a customer cancel while it was in flight): SPEC §2, compensated, never applied.
        name: 'InitiateShipment',
        state: 'PENDING_SHIPMENT',
        succeededOn: 'ShipmentInitiated',
        failedOn: 'ShipmentInitiationFailed',
        compensation: { name: 'CancelShipment', completedOn: 'ShipmentCancelled', retry },
        deadlineMs: stepDeadlinesMs.InitiateShipment,
        retry,
        required: true,
      },
    ],
  });
}
