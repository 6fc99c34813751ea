import express, { type Express, type RequestHandler } from 'express';
import type { Logger } from '../../application/ports/logger';
import type { ApiToken } from '../config/config';
import type { FulfillmentMetrics } from '../observability/metrics';
import type { ApiRoute } from './apiRoute';
import { apiRoutes, type ApiDependencies } from './apiRoutes';
import { addConsoleRoutes, findConsoleAssets } from './consoleRoutes';
import { authenticate, authorize } from './authentication';
import { throttleFailedAuthentication } from './authFailureThrottle';
import { errorMiddleware } from './errorMiddleware';
import { RouteNotFoundError } from './httpErrors';
import { idempotency } from './idempotency';
import type { IdempotencyStore } from './idempotencyStore';
import { jsonBody } from './jsonBody';
import { sendConditionalJson, useDirectJsonResponses } from './jsonResponse';
import { buildOpenApiDocument, defaultApiVersion } from './openApi';
import { addOperationalRoutes, type ReadinessChecks } from './operationalRoutes';
import { perTokenRateLimit } from './rateLimit';
import type { RateLimitCounter } from './rateLimitCounter';
import { requestContext } from './requestContext';
import { securityHeaders } from './securityHeaders';
import { validate } from './validate';

export type HttpDependencies = ApiDependencies &
  Readonly<{
    tokens: readonly ApiToken[];
    rateLimitPerMinute: number;
    /** Where the per-token windows are counted; this app's own when absent. */
    rateLimitCounter?: RateLimitCounter;
    authFailuresPerMinute: number;
    /** Where failed authentications per address are counted; this app's own when absent. */
    authFailureCounter?: RateLimitCounter;
    idempotencyStore: IdempotencyStore;
    logger: Logger;
    metrics: FulfillmentMetrics;
    readiness: ReadinessChecks;
    version?: string;
  }>;

/**
 * The HTTP API of SPEC §5. Per request: security headers and request context, then per route:
 * authenticate (failures throttled per address) → rate limit (per token) → authorize → JSON body →
 * Idempotency-Key → validate → handler. Everything that goes wrong ends in the one error
 * middleware, in the one error shape.
 *
 * Every app-level layer is a hop of express's router (path matching, params, bookkeeping) on
 * every request, so the app has as few as it can: the edge is one layer, and the operational
 * routes are routes of the app (not a mounted router) that come after the API's.
 */
export function createHttpApp(dependencies: HttpDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  // express's weak ETags hash every response, POST /orders' included: GET routes set strong ones of their own (sendConditionalJson).
  app.set('etag', false);
  app.set('query parser', 'simple');
  useDirectJsonResponses(app);
  const headers = securityHeaders();
  const context = requestContext(dependencies.metrics, dependencies.logger);
  app.use((req, res, next) => headers(req, res, () => context(req, res, next)));

  const routes = apiRoutes(dependencies);

  const authenticated = throttleFailedAuthentication(
    authenticate(dependencies.tokens),
    dependencies.authFailuresPerMinute,
    Date.now,
    dependencies.authFailureCounter,
  );
  const rateLimited = perTokenRateLimit(dependencies.rateLimitPerMinute, dependencies.rateLimitCounter);
  const idempotent = idempotency(dependencies.idempotencyStore);
  const body = jsonBody();
  for (const route of routes) {
    const chain: RequestHandler[] = [authenticated, rateLimited, authorize(route.role)];
    if (route.body) chain.push(body);
    if (route.idempotent) chain.push(idempotent);
    app[route.method](route.path, ...chain, handlerOf(route));
  }
  // After the API: its paths and these never overlap, and API requests need not be matched against them.
  const openApiDocument = buildOpenApiDocument(routes, dependencies.version ?? defaultApiVersion);
  addOperationalRoutes(app, { ...dependencies, openApiDocument });
  addConsoleRoutes(app, findConsoleAssets());

  app.use((req, _res, next) => next(new RouteNotFoundError(req.method, req.path)));
  app.use(errorMiddleware(dependencies.logger));
  return app;
}

function handlerOf(route: ApiRoute): RequestHandler {
  return async (req, res) => {
    const params = route.params ? validate(route.params, { ...req.params }, 'path') : {};
    const query = route.query ? validate(route.query, { ...(req.query as object) }, 'query string') : {};
    const rawBody = req.body === undefined && route.bodyOptional ? {} : req.body;
    const body = route.body ? validate(route.body, rawBody, 'request body') : undefined;
    const result = await route.handle({ params, query, body }, res);
    if (route.method === 'get') sendConditionalJson(req, res, route.success.status, result);
    else res.status(route.success.status).json(result);
  };
}
