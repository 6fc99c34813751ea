import {
  streamName,
  type InventoryReleased,
  type InventoryReservationFailed,
  type InventoryReserved,
  type OrderCancelled,
  type PrescriptionCancelled,
  type PrescriptionCreated,
  type PrescriptionFailed,
  type ShipmentCancelled,
  type ShipmentInitiated,
  type ShipmentInitiationFailed,
  type UnknownOutcomeCode,
} from '../../domain/events';
import type { CompensationName, ForwardStepName } from '../../domain/saga/sagaVocabulary';
import type { CompensationJob } from '../ports/jobQueue';
import type {
  InventoryParticipant,
  PrescriptionsParticipant,
  ShippingParticipant,
  StepRequest,
} from '../ports/participants';

/**
 * How each step of the fulfillment saga is carried out: the one place a step is wired to the world.
 * The saga's definition (domain/saga/fulfillmentSaga.ts) says what a step is to the machine: its
 * state, the events that settle it, its compensation and deadline. Its entry here says the rest:
 * the stream it reports on, how its participant is asked and what the answer means as an event,
 * the failure recorded when the participant gave no answer, and how its compensation is run.
 * Adding a step is one entry in each; fulfillmentSteps.unit.spec.ts holds the two together.
 */
export type SagaParticipants = Readonly<{
  prescriptions: PrescriptionsParticipant;
  inventory: InventoryParticipant;
  shipping: ShippingParticipant;
}>;

export type SagaIds = Readonly<{ sagaId: string; orderId: string }>;

/** Recorded by the saga's side, not by the participant: the participant may still have acted. */
export type GivenUpCode = UnknownOutcomeCode;

/** A participant's answer as the step's outcome event; `alreadyCompensated`: it was undone before it ran. */
export type StepAnswer<Succeeded = StepOutcomeEvent, Failed = StepOutcomeEvent> =
  | Readonly<{ outcome: 'succeeded'; event: Succeeded }>
  | Readonly<{ outcome: 'rejected'; event: Failed }>
  | Readonly<{ outcome: 'alreadyCompensated' }>;

export type StepOutcomeEvent =
  | PrescriptionCreated
  | PrescriptionFailed
  | InventoryReserved
  | InventoryReservationFailed
  | ShipmentInitiated
  | ShipmentInitiationFailed;

type StepEntry<Succeeded extends StepOutcomeEvent, Failed extends StepOutcomeEvent> = Readonly<{
  /** The stream the step's outcomes (and its compensation's) are appended to. */
  stream: (orderId: string) => string;
  /** Asks the participant. */
  run(participants: SagaParticipants, request: StepRequest): Promise<StepAnswer<Succeeded, Failed>>;
  /** The failure recorded when the participant gave no answer. */
  givenUp(ids: SagaIds, code: GivenUpCode, reason: string): Failed;
  compensation: CompensationEntry;
}>;

type CompensationEntry = Readonly<{
  name: CompensationName;
  stream: (orderId: string) => string;
  /**
   * Undoes the step (idempotent: the participant leaves a tombstone) and says so as an event, with
   * whether anything was undone: a participant with nothing to undo (the step never acted there, as
   * may be the case for a step given up with its outcome unknown) answers with no id and no lines.
   */
  run(participants: SagaParticipants, job: CompensationJob): Promise<CompensationDoneEvent>;
}>;

export type CompensationDoneEvent = OrderCancelled | PrescriptionCancelled | InventoryReleased | ShipmentCancelled;

const idsOf = ({ sagaId, orderId }: SagaIds): SagaIds => ({ sagaId, orderId });

const createPrescription: StepEntry<PrescriptionCreated, PrescriptionFailed> = {
  stream: streamName.prescription,
  async run({ prescriptions }, request) {
    const answer = await prescriptions.createPrescription(request);
    const ids = idsOf(request);
    if (answer.outcome === 'alreadyCompensated') return answer;
    if (answer.outcome === 'rejected') {
      const { code, reason } = answer;
      return { outcome: 'rejected', event: { type: 'PrescriptionFailed', data: { ...ids, code, reason } } };
    }
    const { prescriptionId } = answer;
    return { outcome: 'succeeded', event: { type: 'PrescriptionCreated', data: { ...ids, prescriptionId } } };
  },
  givenUp: (ids, code, reason) => ({ type: 'PrescriptionFailed', data: { ...idsOf(ids), code, reason } }),
  compensation: {
    name: 'CancelPrescription',
    stream: streamName.prescription,
    async run({ prescriptions }, job) {
      const { prescriptionId } = await prescriptions.cancelPrescription(idsOf(job));
      return {
        type: 'PrescriptionCancelled',
        data: { ...idsOf(job), prescriptionId, undone: prescriptionId !== null },
      };
    },
  },
};

const reserveInventory: StepEntry<InventoryReserved, InventoryReservationFailed> = {
  stream: streamName.inventoryReservation,
  async run({ inventory }, request) {
    const answer = await inventory.reserve(request);
    const ids = idsOf(request);
    if (answer.outcome === 'alreadyCompensated') return answer;
    if (answer.outcome === 'rejected') {
      const { code, reason, shortLines, unknownSkus } = answer;
      const data = { ...ids, code, reason, shortLines, unknownSkus };
      return { outcome: 'rejected', event: { type: 'InventoryReservationFailed', data } };
    }
    const { reservationId, lines } = answer;
    return { outcome: 'succeeded', event: { type: 'InventoryReserved', data: { ...ids, reservationId, lines } } };
  },
  givenUp: (ids, code, reason) => ({
    type: 'InventoryReservationFailed',
    data: { ...idsOf(ids), code, reason, shortLines: [], unknownSkus: [] },
  }),
  compensation: {
    name: 'ReleaseInventory',
    stream: streamName.inventoryReservation,
    async run({ inventory }, job) {
      const { lines } = await inventory.release(idsOf(job));
      return { type: 'InventoryReleased', data: { ...idsOf(job), lines, undone: lines.length > 0 } };
    },
  },
};

const initiateShipment: StepEntry<ShipmentInitiated, ShipmentInitiationFailed> = {
  stream: streamName.shipment,
  async run({ shipping }, request) {
    const answer = await shipping.initiateShipment(request);
    const ids = idsOf(request);
    if (answer.outcome === 'alreadyCompensated') return answer;
    if (answer.outcome === 'rejected') {
      const { code, reason } = answer;
      return { outcome: 'rejected', event: { type: 'ShipmentInitiationFailed', data: { ...ids, code, reason } } };
    }
    const { shipmentId, carrier, trackingNumber } = answer;
    const data = { ...ids, shipmentId, carrier, trackingNumber };
    return { outcome: 'succeeded', event: { type: 'ShipmentInitiated', data } };
  },
  givenUp: (ids, code, reason) => ({ type: 'ShipmentInitiationFailed', data: { ...idsOf(ids), code, reason } }),
  compensation: {
    name: 'CancelShipment',
    stream: streamName.shipment,
    async run({ shipping }, job) {
      const { shipmentId } = await shipping.cancelShipment(idsOf(job));
      return { type: 'ShipmentCancelled', data: { ...idsOf(job), shipmentId, undone: shipmentId !== null } };
    },
  },
};

export const fulfillmentSteps = {
  CreatePrescription: createPrescription,
  ReserveInventory: reserveInventory,
  InitiateShipment: initiateShipment,
} as const satisfies Record<ForwardStepName, StepEntry<StepOutcomeEvent, StepOutcomeEvent>>;

/** The compensation OrderCreated pushes first: the bottom of every stack. */
const cancelOrder: CompensationEntry = {
  name: 'CancelOrder',
  stream: streamName.order,
  run: async (_participants, job) => ({ type: 'OrderCancelled', data: { ...idsOf(job), reason: job.reason } }),
};

/** Every compensation by name: the initial one and each step's. */
export const fulfillmentCompensations = Object.fromEntries(
  [cancelOrder, ...Object.values(fulfillmentSteps).map((step) => step.compensation)].map((entry) => [
    entry.name,
    entry,
  ]),
) as Readonly<Record<CompensationName, CompensationEntry>>;

/** Every stream of a saga: its own, its order's and its steps'. What a saga is loaded from. */
export const sagaStreamsOf = (sagaId: string, orderId: string): string[] => [
  streamName.order(orderId),
  streamName.saga(sagaId),
  ...new Set(Object.values(fulfillmentSteps).map((step) => step.stream(orderId))),
];
