import { defineSaga } from '../sagaDefinition';

/** A test-only saga whose first step is optional: its failure is recorded and the saga goes on. */
const retry = { attempts: 2, backoffMs: 50 };

export const optionalStepSaga = defineSaga({
  name: 'optionalStepTest',
  machineVersion: 1,
  versions: { 1: { compensateUnknownOutcomes: true } },
  initialCompensation: { name: 'CancelOrder', completedOn: 'OrderCancelled', retry },
  steps: [
    {
      name: 'CreatePrescription',
      state: 'PENDING_PRESCRIPTION',
      succeededOn: 'PrescriptionCreated',
      failedOn: 'PrescriptionFailed',
      compensation: { name: 'CancelPrescription', completedOn: 'PrescriptionCancelled', retry },
      deadlineMs: 1_000,
      retry,
      required: false,
    },
    {
      name: 'ReserveInventory',
      state: 'PENDING_INVENTORY_RESERVATION',
      succeededOn: 'InventoryReserved',
      failedOn: 'InventoryReservationFailed',
      compensation: { name: 'ReleaseInventory', completedOn: 'InventoryReleased', retry },
      deadlineMs: 2_000,
      retry,
      required: true,
    },
  ],
});
