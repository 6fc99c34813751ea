import type {
  InventoryReleased,
  InventoryReservationFailed,
  InventoryReserved,
  OrderCancellationRequested,
  OrderCancelled,
  PrescriptionCancelled,
  PrescriptionCreated,
  PrescriptionFailed,
  SagaCompensationFailed,
  SagaResolvedManually,
  SagaRetryRequested,
  ShipmentCancelled,
  ShipmentInitiated,
  ShipmentInitiationFailed,
} from '../events';

/**
 * The domain events routed to a saga: step outcomes, compensation outcomes, the customer's cancel
 * request and the operator's commands. The reactor delivers them at least once.
 */
export type StepSucceededInput = PrescriptionCreated | InventoryReserved | ShipmentInitiated;
export type StepFailedInput = PrescriptionFailed | InventoryReservationFailed | ShipmentInitiationFailed;
export type CompensationDoneInput = OrderCancelled | PrescriptionCancelled | InventoryReleased | ShipmentCancelled;

export type SagaInput =
  | StepSucceededInput
  | StepFailedInput
  | CompensationDoneInput
  | OrderCancellationRequested
  | SagaCompensationFailed
  | SagaRetryRequested
  | SagaResolvedManually;
export type SagaInputType = SagaInput['type'];

/** Every input type once; the `satisfies` clause fails to compile when the union grows. */
export const sagaInputTypes = [
  'PrescriptionCreated',
  'PrescriptionFailed',
  'PrescriptionCancelled',
  'InventoryReserved',
  'InventoryReservationFailed',
  'InventoryReleased',
  'ShipmentInitiated',
  'ShipmentInitiationFailed',
  'ShipmentCancelled',
  'OrderCancellationRequested',
  'OrderCancelled',
  'SagaCompensationFailed',
  'SagaRetryRequested',
  'SagaResolvedManually',
] as const satisfies readonly SagaInputType[];

type Missing = Exclude<SagaInputType, (typeof sagaInputTypes)[number]>;
const _everyInputListed: Missing extends never ? true : Missing = true;
