import { defineSaga, type RetryPolicy } from './sagaDefinition';
import type { ForwardStepName } from './sagaVocabulary';

/** SPEC §2: prescription → inventory reservation → shipment; CancelOrder at the bottom of the stack. */

export type FulfillmentSagaSettings = Readonly<{
  /** From configuration (PRESCRIPTION_DEADLINE_MS, INVENTORY_DEADLINE_MS, SHIPMENT_DEADLINE_MS). */
  stepDeadlinesMs: Readonly<Record<ForwardStepName, number>>;
  retry: RetryPolicy;
}>;

/** Bump when the graph or the context shape changes: stored snapshots of the old version are refused. */
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
        // The last step: once a shipment is initiated the saga is complete, nothing after it can fail.
        name: 'InitiateShipment',
        state: 'PENDING_SHIPMENT',
        succeededOn: 'ShipmentInitiated',
        failedOn: 'ShipmentInitiationFailed',
        compensation: null,
        deadlineMs: stepDeadlinesMs.InitiateShipment,
        retry,
        required: true,
      },
    ],
  });
}
