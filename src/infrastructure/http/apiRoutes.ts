import { z } from 'zod';
import type { CommandDependencies } from '../../application/commands/commandContext';
import { NotFoundError } from '../../application/commands/fulfillmentErrors';
import { placeOrder } from '../../application/commands/placeOrder';
import { requestCancellation } from '../../application/commands/requestCancellation';
import { resolveSaga } from '../../application/commands/resolveSaga';
import { retrySaga } from '../../application/commands/retrySaga';
import type { JobQueue } from '../../application/ports/jobQueue';
import type { Catalog } from '../../application/ports/participants';
import { deadLetters, jobStats } from '../../application/queries/jobOverview';
import { sagaChanges } from '../../application/queries/sagaChanges';
import { sagaThroughput, throughputMinutes, type SagaThroughput } from '../../application/queries/sagaThroughput';
import { sagaGraphOf } from '../../domain/saga/sagaGraph';
import { getOrder } from '../../application/queries/getOrder';
import { getSaga } from '../../application/queries/getSaga';
import { listSagas } from '../../application/queries/listSagas';
import type { QueryDependencies } from '../../application/queries/queryContext';
import { sagaEvents } from '../../application/queries/sagaEvents';
import { sagaStats } from '../../application/queries/sagaStats';
import { defineRoute, type ApiRoute } from './apiRoute';
import { commandOrigin } from './requestContext';
import { sharedFor } from './sharedResult';
import {
  cancelOrderBody,
  commandAcceptedResponse,
  deadLettersQuery,
  deadLettersResponse,
  inventoryItemResponse,
  inventoryListResponse,
  jobStatsResponse,
  listSagasQuery,
  orderIdParams,
  orderResponse,
  placedOrderResponse,
  placeOrderInput,
  putInventoryBody,
  resolveSagaBody,
  sagaChangesQuery,
  sagaChangesResponse,
  sagaDefinitionResponse,
  sagaEventsResponse,
  sagaIdParams,
  sagaListResponse,
  sagaStatsResponse,
  sagaStatusResponse,
  sagaThroughputQuery,
  sagaThroughputResponse,
  skuParams,
} from './schemas';

export type ApiDependencies = Readonly<{
  commands: CommandDependencies;
  queries: QueryDependencies;
  catalog: Catalog;
  jobQueue: Pick<JobQueue, 'depth' | 'deadLetters'>;
}>;

const auth = [401, 403, 429];

/**
 * GET /sagas/stats reads the duration of every finished saga (its cost grows with the read model:
 * some 7 ms of CPU at 4,000 finished sagas, enough to saturate the server when pollers ask a few
 * hundred times a second). Its callers share one result for up to this long.
 */
export const sagaStatsMaxAgeMs = 1000;

/** GET /inventory answers at most this many items (the whole catalog of any pharmacy we serve). */
export const inventoryListMax = 1000;

/** Every route of SPEC §5 but the operational ones (health, metrics, OpenAPI). */
export function apiRoutes({ commands, queries, catalog, jobQueue }: ApiDependencies): ApiRoute[] {
  const stats = sharedFor(sagaStatsMaxAgeMs, () => sagaStats(queries));
  // GET /sagas/throughput reads every saga that ended in its window (hundreds of thousands of rows
  // in 15 minutes at full speed): its pollers share one result per window for up to a second.
  const throughputs = new Map<number, () => Promise<SagaThroughput>>();
  const throughput = (minutes: number = throughputMinutes.default) => {
    let shared = throughputs.get(minutes);
    if (!shared) {
      shared = sharedFor(sagaStatsMaxAgeMs, () => sagaThroughput({ ...queries, clock: commands.clock }, minutes));
      throughputs.set(minutes, shared);
    }
    return shared();
  };
  // The machine cannot change while the process runs: its graph is read once.
  const sagaGraph = sagaGraphOf(commands.definition);
  return [
    defineRoute({
      method: 'post',
      path: '/orders',
      summary: 'Place an order; its saga starts at once',
      role: 'client',
      body: placeOrderInput,
      idempotent: true,
      success: { status: 202, description: 'Order accepted', schema: placedOrderResponse },
      errorStatuses: [400, ...auth, 409, 413, 415, 422],
      handle: async ({ body }, res) => {
        const placed = await placeOrder(commands, body, commandOrigin(res));
        return {
          ...placed,
          links: {
            order: `/orders/${placed.orderId}`,
            saga: `/sagas/${placed.sagaId}`,
            events: `/sagas/${placed.sagaId}/events`,
            cancel: `/orders/${placed.orderId}/cancel`,
          },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/orders/:orderId',
      summary: 'An order with its saga summary and what each participant reported',
      role: 'client',
      params: orderIdParams,
      success: { status: 200, description: 'The order', schema: orderResponse },
      errorStatuses: [400, ...auth, 404],
      handle: ({ params }) => getOrder(queries, params.orderId),
    }),
    defineRoute({
      method: 'post',
      path: '/orders/:orderId/cancel',
      summary: 'Ask to cancel an order; the saga unwinds what has succeeded',
      role: 'client',
      params: orderIdParams,
      body: cancelOrderBody,
      bodyOptional: true,
      idempotent: true,
      success: { status: 202, description: 'Cancellation requested', schema: commandAcceptedResponse },
      errorStatuses: [400, ...auth, 404, 409, 413, 415, 422],
      handle: ({ params, body }, res) =>
        requestCancellation(commands, { orderId: params.orderId, reason: body.reason }, commandOrigin(res)),
    }),
    defineRoute({
      method: 'get',
      path: '/sagas',
      summary: 'Sagas by state or scope, newest first, paginated',
      role: 'client',
      query: listSagasQuery,
      success: { status: 200, description: 'A page of sagas', schema: sagaListResponse },
      errorStatuses: [400, ...auth],
      handle: ({ query }) => listSagas(queries, query),
    }),
    defineRoute({
      method: 'get',
      path: '/sagas/stats',
      summary: 'Saga counts per state and duration percentiles of finished sagas (at most a second old)',
      role: 'client',
      success: { status: 200, description: 'Statistics', schema: sagaStatsResponse },
      errorStatuses: auth,
      handle: () => stats(),
    }),
    defineRoute({
      method: 'get',
      path: '/sagas/changes',
      summary: 'Sagas whose status changed after a cursor, oldest change first: poll it for live updates',
      role: 'client',
      query: sagaChangesQuery,
      success: {
        status: 200,
        description: 'The changed sagas and the cursor to ask with next',
        schema: sagaChangesResponse,
      },
      errorStatuses: [400, ...auth],
      handle: ({ query }) => sagaChanges(queries, query),
    }),
    defineRoute({
      method: 'get',
      path: '/sagas/throughput',
      summary:
        'Sagas that ended COMPLETED, CANCELLED or in MANUAL_REVIEW, per time bucket over the last minutes (at most a second old)',
      role: 'client',
      query: sagaThroughputQuery,
      success: { status: 200, description: 'One bucket per interval, oldest first', schema: sagaThroughputResponse },
      errorStatuses: [400, ...auth],
      handle: ({ query }) => throughput(query.minutes),
    }),
    defineRoute({
      method: 'get',
      path: '/sagas/:sagaId',
      summary: 'A saga status: state, compensation stack, failure',
      role: 'client',
      params: sagaIdParams,
      success: { status: 200, description: 'The saga', schema: sagaStatusResponse },
      errorStatuses: [400, ...auth, 404],
      handle: ({ params }) => getSaga(queries, params.sagaId),
    }),
    defineRoute({
      method: 'get',
      path: '/sagas/:sagaId/events',
      summary: 'Every event of a saga and its order, in global order',
      role: 'client',
      params: sagaIdParams,
      success: { status: 200, description: 'The events', schema: sagaEventsResponse },
      errorStatuses: [400, ...auth, 404],
      handle: ({ params }) => sagaEvents(queries, params.sagaId),
    }),
    defineRoute({
      method: 'post',
      path: '/sagas/:sagaId/retry',
      summary: 'Retry the failed compensation of a saga in MANUAL_REVIEW',
      role: 'operator',
      params: sagaIdParams,
      body: z.strictObject({}),
      bodyOptional: true,
      idempotent: true,
      success: { status: 202, description: 'Retry requested', schema: commandAcceptedResponse },
      errorStatuses: [400, ...auth, 404, 409, 413, 415, 422],
      handle: ({ params }, res) => retrySaga(commands, { sagaId: params.sagaId }, commandOrigin(res)),
    }),
    defineRoute({
      method: 'post',
      path: '/sagas/:sagaId/resolve',
      summary: 'Mark a saga in MANUAL_REVIEW resolved by hand; it ends CANCELLED with the note',
      role: 'operator',
      params: sagaIdParams,
      body: resolveSagaBody,
      idempotent: true,
      success: { status: 202, description: 'Resolution recorded', schema: commandAcceptedResponse },
      errorStatuses: [400, ...auth, 404, 409, 413, 415, 422],
      handle: ({ params, body }, res) =>
        resolveSaga(commands, { sagaId: params.sagaId, note: body.note }, commandOrigin(res)),
    }),
    defineRoute({
      method: 'get',
      path: '/inventory/:sku',
      summary: 'A catalog item and its stock',
      role: 'client',
      params: skuParams,
      success: { status: 200, description: 'The item', schema: inventoryItemResponse },
      errorStatuses: [400, ...auth, 404],
      handle: async ({ params }) => {
        const item = await catalog.getItem(params.sku);
        if (!item) throw new NotFoundError('item', params.sku);
        return item;
      },
    }),
    defineRoute({
      method: 'put',
      path: '/inventory/:sku',
      summary: 'Create or update a catalog item and its stock on hand',
      role: 'operator',
      params: skuParams,
      body: putInventoryBody,
      idempotent: true,
      success: { status: 200, description: 'The item as saved', schema: inventoryItemResponse },
      errorStatuses: [400, ...auth, 409, 413, 415, 422],
      handle: ({ params, body }) => catalog.putItem(params.sku, body),
    }),
    defineRoute({
      method: 'get',
      path: '/inventory',
      summary: `Every catalog item and its stock, in sku order (at most ${inventoryListMax})`,
      role: 'client',
      success: { status: 200, description: 'The items', schema: inventoryListResponse },
      errorStatuses: auth,
      handle: async () => ({ items: await catalog.listItems(inventoryListMax) }),
    }),
    defineRoute({
      method: 'get',
      path: '/jobs/stats',
      summary: 'Jobs waiting, running, delayed (a retry backing off) and dead-lettered',
      role: 'client',
      success: { status: 200, description: 'Job counts', schema: jobStatsResponse },
      errorStatuses: auth,
      handle: () => jobStats(jobQueue),
    }),
    defineRoute({
      method: 'get',
      path: '/jobs/dead-letters',
      summary: 'Jobs that failed for good, newest first, paginated',
      role: 'operator',
      query: deadLettersQuery,
      success: { status: 200, description: 'A page of dead letters', schema: deadLettersResponse },
      errorStatuses: [400, ...auth],
      handle: ({ query }) => deadLetters(jobQueue, query),
    }),
    defineRoute({
      method: 'get',
      path: '/saga-definition',
      summary: "The saga's state machine as data, read from the machine the service runs",
      role: 'client',
      success: { status: 200, description: 'States and transitions', schema: sagaDefinitionResponse },
      errorStatuses: auth,
      handle: async () => sagaGraph,
    }),
  ];
}
