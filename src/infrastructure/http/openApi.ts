import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { ApiRoute } from './apiRoute';
import { errorResponse } from './schemas';

/**
 * /openapi.json, generated from the very routes and zod schemas the service validates with.
 * Built once at start-up: the document cannot change while the process runs.
 */
const statusDescriptions: Readonly<Record<number, string>> = {
  400: 'Invalid input (VALIDATION_FAILED, MALFORMED_JSON)',
  401: 'Missing or unknown bearer token (UNAUTHORIZED)',
  403: 'The token lacks the role (FORBIDDEN)',
  404: 'Unknown id (NOT_FOUND)',
  409: 'Conflicts with the saga state (SAGA_STATE_CONFLICT, ORDER_ALREADY_FINAL, …)',
  413: 'Body larger than 64kb (PAYLOAD_TOO_LARGE)',
  415: 'Body is not application/json (UNSUPPORTED_MEDIA_TYPE)',
  422: 'Idempotency-Key reused with a different request (IDEMPOTENCY_KEY_REUSED)',
  429: 'Too many requests with this token, or failed authentications from this address (RATE_LIMITED)',
};

const idempotencyHeader = z.object({
  'idempotency-key': z
    .string()
    .max(200)
    .optional()
    .meta({ description: 'Replays the first response to a retried request' }),
});

export function buildOpenApiDocument(routes: readonly ApiRoute[], version: string): object {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  for (const route of routes) {
    registry.registerPath({
      method: route.method,
      path: route.path.replace(/:(\w+)/g, '{$1}'),
      summary: route.summary,
      description: `Role: ${route.role}${route.role === 'client' ? ' (or operator)' : ''}.`,
      security: [{ bearer: [] }],
      request: {
        ...(route.params ? { params: route.params as z.ZodObject } : {}),
        ...(route.query ? { query: route.query as z.ZodObject } : {}),
        ...(route.idempotent ? { headers: idempotencyHeader } : {}),
        ...(route.body
          ? { body: { required: !route.bodyOptional, content: { 'application/json': { schema: route.body } } } }
          : {}),
      },
      responses: {
        [route.success.status]: {
          description: route.success.description,
          content: { 'application/json': { schema: route.success.schema } },
        },
        ...Object.fromEntries(
          route.errorStatuses.map((status) => [
            status,
            {
              description: statusDescriptions[status] ?? 'Error',
              content: { 'application/json': { schema: errorResponse } },
            },
          ]),
        ),
      },
    });
  }
  for (const path of ['/healthz', '/readyz']) {
    registry.registerPath({
      method: 'get',
      path,
      summary: path === '/healthz' ? 'The process is alive' : 'Database, queue and projections are usable',
      responses: {
        200: { description: 'OK' },
        503: { description: 'Not ready', content: { 'application/json': { schema: errorResponse } } },
      },
    });
  }
  registry.registerPath({
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics',
    responses: { 200: { description: 'Metrics in text format' } },
  });
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Order Fulfillment Saga Service',
      version,
      description: 'Errors always have the shape { error: { code, message, details?, saga? } }.',
    },
  });
}
