import { z } from 'zod';
import { placeOrderInput } from '../../application/commands/placeOrderInput';
import { sagaScopes } from '../../application/queries/sagaReadModel';
import { listLimits } from '../../application/queries/listSagas';
import { changesLimits } from '../../application/queries/sagaChanges';
import { throughputMinutes } from '../../application/queries/sagaThroughput';
import { compensationName, forwardStepName, sagaJobName, sagaState, sku } from '../../application/eventCatalog/schemas';
import { deadLetterLimits } from '../../application/queries/jobOverview';

/**
 * The HTTP contract as zod schemas: requests are validated with them and /openapi.json is
 * generated from them, so the document cannot drift from what the service accepts.
 */

export { placeOrderInput };

export const uuidParam = z.uuid({ message: 'must be a UUID such as the ones POST /orders returns' });
export const orderIdParams = z.strictObject({ orderId: uuidParam });
export const sagaIdParams = z.strictObject({ sagaId: uuidParam });
export const skuParams = z.strictObject({ sku });

export const cancelOrderBody = z
  .strictObject({ reason: z.string().trim().min(1).max(500).optional() })
  .meta({ id: 'CancelOrderRequest' });
export const resolveSagaBody = z
  .strictObject({ note: z.string().trim().min(1).max(2000) })
  .meta({ id: 'ResolveSagaRequest' });
export const putInventoryBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    controlled: z.boolean().optional(),
    onHand: z.number().int().min(0).max(1_000_000_000),
  })
  .meta({ id: 'PutInventoryItemRequest' });

/** A whole number from the query string, within bounds. */
const wholeNumberParam = (min: number, max: number) =>
  z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(min).max(max));
const cursorParam = z.string().min(1).max(200);

export const listSagasQuery = z.strictObject({
  state: sagaState.optional(),
  scope: z.enum(sagaScopes).optional(),
  limit: wholeNumberParam(1, listLimits.max).optional(),
  cursor: cursorParam.optional(),
});

export const sagaChangesQuery = z.strictObject({
  after: cursorParam.optional().meta({
    description: 'nextCursor of the previous answer; without it, no items and the cursor of now',
  }),
  limit: wholeNumberParam(1, changesLimits.max)
    .optional()
    .meta({ description: `at most this many sagas (default ${changesLimits.default})` }),
});

export const sagaThroughputQuery = z.strictObject({
  minutes: wholeNumberParam(1, throughputMinutes.max)
    .optional()
    .meta({ description: `the window, in minutes (default ${throughputMinutes.default})` }),
});

export const deadLettersQuery = z.strictObject({
  limit: wholeNumberParam(1, deadLetterLimits.max).optional(),
  cursor: cursorParam.optional(),
});

// Responses (documentation of what the service sends).

const isoTime = z.iso.datetime();
const link = z.string();

export const placedOrderResponse = z
  .object({
    orderId: z.uuid(),
    sagaId: z.uuid(),
    state: sagaState,
    links: z.object({ order: link, saga: link, events: link, cancel: link }),
  })
  .meta({ id: 'PlacedOrder' });

export const sagaStatusResponse = z
  .object({
    sagaId: z.uuid(),
    orderId: z.uuid(),
    state: sagaState,
    currentStep: sagaJobName.nullable(),
    compensationStack: z.array(compensationName),
    failedStep: forwardStepName.nullable(),
    failureCode: z.string().nullable(),
    failureReason: z.string().nullable(),
    failedCompensation: compensationName.nullable(),
    cancellationRequested: z.boolean(),
    resolutionNote: z.string().nullable(),
    startedAt: isoTime,
    completedAt: isoTime.nullable(),
    updatedAt: isoTime,
  })
  .meta({ id: 'SagaStatus' });

const failedReport = z.object({ status: z.literal('failed'), code: z.string(), reason: z.string() });
export const orderResponse = z
  .object({
    orderId: z.uuid(),
    sagaId: z.uuid(),
    patientId: z.string(),
    prescriberId: z.string().nullable(),
    medications: placeOrderInput.shape.medications,
    shippingAddress: placeOrderInput.shape.shippingAddress,
    placedAt: isoTime,
    cancellationRequested: z.boolean(),
    cancelled: z.boolean(),
    saga: sagaStatusResponse,
    participants: z.object({
      prescription: z
        .union([
          z.object({ status: z.enum(['created', 'cancelled']), prescriptionId: z.string().nullable() }),
          failedReport,
        ])
        .nullable(),
      inventoryReservation: z
        .union([
          z.object({
            status: z.enum(['reserved', 'released']),
            reservationId: z.string().nullable(),
            lines: z.array(z.object({ sku, quantity: z.number().int() })),
          }),
          failedReport.extend({ shortLines: z.array(z.unknown()), unknownSkus: z.array(z.string()) }),
        ])
        .nullable(),
      shipment: z
        .union([
          z.object({
            status: z.literal('initiated'),
            shipmentId: z.string(),
            carrier: z.string(),
            trackingNumber: z.string(),
          }),
          z.object({
            status: z.literal('cancelled'),
            shipmentId: z.string().nullable(),
            carrier: z.string().nullable(),
            trackingNumber: z.string().nullable(),
          }),
          failedReport,
        ])
        .nullable(),
    }),
  })
  .meta({ id: 'Order' });

export const commandAcceptedResponse = z
  .object({
    orderId: z.uuid(),
    sagaId: z.uuid(),
    state: sagaState.optional(),
    compensation: compensationName.optional(),
  })
  .meta({ id: 'CommandAccepted' });

export const sagaListResponse = z
  .object({ items: z.array(sagaStatusResponse), nextCursor: z.string().nullable() })
  .meta({ id: 'SagaList' });

export const sagaStatsResponse = z
  .object({
    counts: z.record(sagaState, z.number().int()),
    durationsMs: z.object({ p50: z.number().nullable(), p95: z.number().nullable(), p99: z.number().nullable() }),
  })
  .meta({ id: 'SagaStats' });

export const sagaEventsResponse = z
  .object({
    events: z.array(
      z.object({
        position: z.number().int(),
        stream: z.string(),
        type: z.string(),
        data: z.unknown(),
        metadata: z.unknown(),
      }),
    ),
  })
  .meta({ id: 'SagaEvents' });

export const inventoryItemResponse = z
  .object({
    sku,
    name: z.string(),
    controlled: z.boolean(),
    onHand: z.number().int(),
    reserved: z.number().int(),
    available: z.number().int(),
  })
  .meta({ id: 'InventoryItem' });

export const sagaChangesResponse = z
  .object({ items: z.array(sagaStatusResponse), nextCursor: z.string() })
  .meta({ id: 'SagaChanges' });

export const sagaThroughputResponse = z
  .object({
    bucketSeconds: z.number().int(),
    buckets: z.array(
      z.object({
        at: isoTime,
        completed: z.number().int(),
        cancelled: z.number().int(),
        manualReview: z.number().int(),
      }),
    ),
  })
  .meta({ id: 'SagaThroughput' });

export const jobStatsResponse = z
  .object({
    waiting: z.number().int(),
    active: z.number().int(),
    delayed: z.number().int(),
    deadLettered: z.number().int(),
  })
  .meta({ id: 'JobStats' });

export const deadLettersResponse = z
  .object({
    items: z.array(
      z.object({
        jobId: z.string(),
        sagaId: z.string(),
        orderId: z.string().optional(),
        kind: z.enum(['step', 'compensation']),
        name: sagaJobName,
        attempts: z.number().int(),
        failedReason: z.string(),
        failedAt: isoTime,
      }),
    ),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: 'DeadLetters' });

export const sagaDefinitionResponse = z
  .object({
    states: z.array(
      z.object({
        name: sagaState,
        kind: z.enum(['pending', 'compensating', 'final', 'review']),
        step: forwardStepName.optional(),
      }),
    ),
    transitions: z.array(
      z.object({
        from: sagaState,
        to: sagaState,
        on: z.string().meta({ description: "the saga signal that causes it; 'always' for an eventless transition" }),
        guard: z.string().optional(),
      }),
    ),
  })
  .meta({ id: 'SagaDefinition' });

export const inventoryListResponse = z.object({ items: z.array(inventoryItemResponse) }).meta({ id: 'InventoryList' });

export const errorResponse = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.array(z.unknown()).optional(),
      saga: z
        .object({ sagaId: z.string(), state: z.string().optional(), step: z.string().nullable().optional() })
        .optional(),
    }),
  })
  .meta({ id: 'Error' });
