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
 * replayed). Keep the old version's rules in `versions` while its sagas may be in flight; a version
 * not listed is refused, never guessed at.
 *
 * 2: a required step given up with its outcome unknown (STEP_TIMEOUT, RETRIES_EXHAUSTED) is
 * compensated, first, before the saga may end CANCELLED (issue 8: a prescription created by a
 * participant that then answered 500 stayed active). Version 1 sagas keep version 1's decisions.
 */
export const fulfillmentSagaMachineVersion = 2;

export function fulfillmentSaga({ stepDeadlinesMs, retry }: FulfillmentSagaSettings) {
  return defineSaga({
    name: 'orderFulfillment',
    machineVersion: fulfillmentSagaMachineVersion,
    versions: {
      1: { compensateUnknownOutcomes: false },
      2: { compensateUnknownOutcomes: true },
    },
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
