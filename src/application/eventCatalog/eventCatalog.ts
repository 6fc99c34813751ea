import { z } from 'zod';
import type { FulfillmentEvent, FulfillmentEventType, StreamCategory } from '../../domain/events';
import {
  compensationName,
  forwardStepName,
  medicationLine,
  sagaJobName,
  sagaState,
  shippingAddress,
  shortLine,
  stepFailureCode,
  uuid,
} from './schemas';
import { orderCreatedV1ToV2, sagaStateChangedV1ToV2 } from './upcasters';

/**
 * Every event type of SPEC §3: its stream, its current schema version, the runtime schema of its
 * data, and the upcasters that lift older stored shapes to the current one. Old events stay
 * readable forever: a shape change bumps `schemaVersion` and adds an upcaster here.
 */
type DataOf<T extends FulfillmentEventType> = Extract<FulfillmentEvent, { type: T }>['data'];
type Upcaster = (data: unknown) => unknown;

export type CatalogEntry<T extends FulfillmentEventType = FulfillmentEventType> = Readonly<{
  stream: StreamCategory;
  schemaVersion: number;
  schema: z.ZodType<DataOf<T>>;
  /** `upcasters[v]` turns version v data into version v + 1 data. */
  upcasters: Readonly<Record<number, Upcaster>>;
}>;

type Definition<T extends FulfillmentEventType> = Readonly<{
  stream: StreamCategory;
  schema: z.ZodType<DataOf<T>>;
  upcasters?: Readonly<Record<number, Upcaster>>;
}>;

const ids = { orderId: uuid, sagaId: uuid };
const failure = { reason: z.string() };
/**
 * On a step's compensation-done event: whether the compensation undid anything. Optional, so the
 * shape stays schema version 1: events written before it lack it (their data says the same: a null
 * id, no lines), and a reader that predates it strips it.
 */
const undone = { undone: z.boolean().optional() };

const definitions = {
  OrderCreated: {
    stream: 'order',
    schema: z.object({
      ...ids,
      patientId: z.string().min(1),
      prescriberId: z.string().min(1).nullable(),
      medications: z.array(medicationLine).min(1).max(50),
      shippingAddress,
    }),
    upcasters: { 1: orderCreatedV1ToV2 },
  },
  OrderCancellationRequested: { stream: 'order', schema: z.object({ ...ids, reason: z.string().nullable() }) },
  OrderCancelled: { stream: 'order', schema: z.object({ ...ids, reason: z.string() }) },

  SagaStarted: {
    stream: 'orderFulfillmentSaga',
    schema: z.object({ ...ids, machineVersion: z.number().int().positive() }),
  },
  SagaStateChanged: {
    stream: 'orderFulfillmentSaga',
    schema: z.object({
      ...ids,
      from: sagaState.nullable(),
      to: sagaState,
      currentStep: sagaJobName.nullable(),
      compensationStack: z.array(compensationName),
      machineVersion: z.number().int().positive().optional(),
      snapshot: z.unknown().optional(),
    }),
    upcasters: { 1: sagaStateChangedV1ToV2 },
  },
  SagaCompensationRecorded: {
    stream: 'orderFulfillmentSaga',
    schema: z.object({ ...ids, compensation: compensationName, compensationStack: z.array(compensationName) }),
  },
  SagaFailed: {
    stream: 'orderFulfillmentSaga',
    schema: z.object({ ...ids, failedStep: forwardStepName, code: z.string(), ...failure }),
  },
  SagaCompleted: { stream: 'orderFulfillmentSaga', schema: z.object(ids) },
  SagaCompensationFailed: {
    stream: 'orderFulfillmentSaga',
    schema: z.object({ ...ids, compensation: compensationName, round: z.number().int().min(0), ...failure }),
  },
  SagaRetryRequested: {
    stream: 'orderFulfillmentSaga',
    schema: z.object({
      ...ids,
      compensation: compensationName,
      round: z.number().int().min(0),
      requestedBy: z.string(),
    }),
  },
  SagaResolvedManually: {
    stream: 'orderFulfillmentSaga',
    schema: z.object({ ...ids, note: z.string().min(1), resolvedBy: z.string() }),
  },

  PrescriptionCreated: { stream: 'prescription', schema: z.object({ ...ids, prescriptionId: z.string().min(1) }) },
  PrescriptionFailed: {
    stream: 'prescription',
    schema: z.object({ ...ids, code: stepFailureCode(['PRESCRIBER_REQUIRED']), ...failure }),
  },
  PrescriptionCancelled: {
    stream: 'prescription',
    schema: z.object({ ...ids, prescriptionId: z.string().nullable(), ...undone }),
  },

  InventoryReserved: {
    stream: 'inventoryReservation',
    schema: z.object({ ...ids, reservationId: z.string().min(1), lines: z.array(medicationLine) }),
  },
  InventoryReservationFailed: {
    stream: 'inventoryReservation',
    schema: z.object({
      ...ids,
      code: stepFailureCode(['INSUFFICIENT_STOCK', 'UNKNOWN_SKU']),
      ...failure,
      shortLines: z.array(shortLine),
      unknownSkus: z.array(z.string()),
    }),
  },
  InventoryReleased: {
    stream: 'inventoryReservation',
    schema: z.object({ ...ids, lines: z.array(medicationLine), ...undone }),
  },

  ShipmentInitiated: {
    stream: 'shipment',
    schema: z.object({
      ...ids,
      shipmentId: z.string().min(1),
      carrier: z.string().min(1),
      trackingNumber: z.string().min(1),
    }),
  },
  ShipmentInitiationFailed: {
    stream: 'shipment',
    schema: z.object({ ...ids, code: stepFailureCode(['UNSUPPORTED_DESTINATION']), ...failure }),
  },
  ShipmentCancelled: {
    stream: 'shipment',
    schema: z.object({ ...ids, shipmentId: z.string().min(1).nullable(), ...undone }),
  },
} satisfies { readonly [T in FulfillmentEventType]: Definition<T> };

export const eventCatalog = Object.fromEntries(
  Object.entries(definitions).map(([type, definition]) => {
    const upcasters: Readonly<Record<number, Upcaster>> = 'upcasters' in definition ? definition.upcasters : {};
    return [type, { ...definition, upcasters, schemaVersion: Object.keys(upcasters).length + 1 }];
  }),
) as unknown as { readonly [T in FulfillmentEventType]: CatalogEntry<T> };

export const isKnownEventType = (type: string): type is FulfillmentEventType => Object.hasOwn(eventCatalog, type);
