import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
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

/**
 * Each operation's id, from its method and path alone, so it is declared nowhere else and cannot
 * drift: `GET /sagas/:sagaId/events` is `getSagasBySagaIdEvents`, `GET /jobs/dead-letters` is
 * `getJobsDeadLetters`. Unique because method and path are.
 */
/** The API's version in /openapi.json, unless the service is given another. */
export const defaultApiVersion = '0.1.0';

export function operationIdOf(method: string, path: string): string {
  const words = path
    .split('/')
    .filter(Boolean)
    .map((segment) => (segment.startsWith(':') ? `by-${segment.slice(1)}` : segment))
    .flatMap((segment) => segment.split(/[^A-Za-z0-9]+/).filter(Boolean));
  return [method.toLowerCase(), ...words.map((word) => word[0]!.toUpperCase() + word.slice(1))].join('');
}

export function buildOpenApiDocument(routes: readonly ApiRoute[], version: string): object {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  for (const route of routes) {
    registry.registerPath({
      method: route.method,
      path: route.path.replace(/:(\w+)/g, '{$1}'),
      operationId: operationIdOf(route.method, route.path),
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
  // The operational routes need no token (probes and scrapers have none): `security: []` says so.
  // Their one 4xx is the server's own, for any path: a request that is not valid HTTP.
  const malformed = {
    400: {
      description: 'Not valid HTTP/1.1, refused before any route (MALFORMED_REQUEST)',
      content: { 'application/json': { schema: errorResponse } },
    },
  };
  const operational = (path: string, summary: string, responses: RouteConfig['responses']) =>
    registry.registerPath({
      method: 'get',
      path,
      operationId: operationIdOf('get', path),
      security: [],
      summary,
      responses: { ...responses, ...malformed },
    });
  const notReady = {
    503: { description: 'Not ready', content: { 'application/json': { schema: errorResponse } } },
  };
  operational('/healthz', 'The process is alive', { 200: { description: 'OK' } });
  operational('/readyz', 'Database, queue and projections are usable', { 200: { description: 'OK' }, ...notReady });
  operational('/metrics', 'Prometheus metrics', {
    200: { description: 'Metrics in text format', content: { 'text/plain': { schema: z.string() } } },
  });
  operational('/openapi.json', 'This document', {
    200: { description: 'The OpenAPI 3.1 document', content: { 'application/json': { schema: z.object({}) } } },
  });
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Order Fulfillment Saga Service',
      version,
      description: 'Errors always have the shape { error: { code, message, details?, saga? } }.',
      // package.json's UNLICENSED (no licence is granted), as an SPDX user-defined reference.
      license: { name: 'UNLICENSED: proprietary, no licence granted', identifier: 'LicenseRef-UNLICENSED' },
    },
    // Relative: the document is served by the service it describes, wherever that runs.
    servers: [{ url: '/', description: 'the service that serves this document' }],
  });
}
