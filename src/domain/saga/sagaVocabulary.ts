/** The fixed names of SPEC §2: states, forward steps and their compensations. */

export const sagaStates = [
  'PENDING_PRESCRIPTION',
  'PENDING_INVENTORY_RESERVATION',
  'PENDING_SHIPMENT',
  'COMPLETED',
  'COMPENSATING',
  'CANCELLED',
  'MANUAL_REVIEW',
] as const;
export type SagaState = (typeof sagaStates)[number];

export const terminalSagaStates = ['COMPLETED', 'CANCELLED'] as const satisfies readonly SagaState[];

export const forwardStepNames = ['CreatePrescription', 'ReserveInventory', 'InitiateShipment'] as const;
export type ForwardStepName = (typeof forwardStepNames)[number];

export const compensationNames = ['CancelOrder', 'CancelPrescription', 'ReleaseInventory', 'CancelShipment'] as const;
export type CompensationName = (typeof compensationNames)[number];

/** Any job the saga can send: a forward step or a compensation. */
export type SagaJobName = ForwardStepName | CompensationName;
