import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { CommandOrigin } from '../../application/commands/commandContext';
import type { Logger } from '../../application/ports/logger';
import type { Role } from '../config/config';
import type { FulfillmentMetrics } from '../observability/metrics';
import { traceparentFromHeaders } from '../observability/traceContext';

/** What the HTTP edge knows about a request, kept on `res.locals`. */
export type Principal = Readonly<{ role: Role; tokenHash: string }>;
export type RequestContext = {
  requestId: string;
  traceparent?: string;
  principal?: Principal;
  idempotencyKey?: string;
  /** The key scoped to the caller (a hash of token and key): what the command derives new ids from. */
  idempotencyKeyHash?: string;
};

const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

export const contextOf = (res: Response): RequestContext => res.locals.context as RequestContext;

/**
 * Assigns the request id (the caller's X-Request-Id when sensible), reads traceparent, times the
 * request into the duration histogram and writes one access line at debug level.
 *
 * Not at info: pino writes each line synchronously to stdout, a write() per request on the one
 * thread that also serves requests, and the lines would say what the histogram and the request
 * id already say. Failures are logged where they are handled (5xx in errorMiddleware); LOG_LEVEL=debug
 * turns the access lines on, and at any other level they cost one no-op call.
 */
export function requestContext(metrics: FulfillmentMetrics, logger: Logger): RequestHandler {
  return (req, res, next) => {
    const offered = req.headers['x-request-id'];
    const requestId = typeof offered === 'string' && requestIdPattern.test(offered) ? offered : randomUUID();
    const traceparent = traceparentFromHeaders(req.headers);
    res.locals.context = { requestId, ...(traceparent ? { traceparent } : {}) } satisfies RequestContext;
    res.setHeader('X-Request-Id', requestId);
    const stop = metrics.httpRequestDuration.startTimer();
    res.on('finish', () => {
      const route = routeOf(req);
      const status = res.statusCode;
      const seconds = stop({ method: req.method, route, status: String(status) });
      logger.debug(
        { requestId, method: req.method, route, path: req.originalUrl, status, ms: seconds * 1000 },
        'request',
      );
    });
    next();
  };
}

/** The route pattern, not the path: ids would give the histogram one series per order. */
const routeOf = (req: Request): string => (req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched');

/** The origin of the events a command appends: causation is the Idempotency-Key or the request id. */
export function commandOrigin(res: Response): CommandOrigin {
  const context = contextOf(res);
  return {
    causationId: context.idempotencyKey ?? context.requestId,
    ...(context.idempotencyKeyHash ? { requestKey: context.idempotencyKeyHash } : {}),
    actor: context.principal ? `${context.principal.role}:${context.principal.tokenHash.slice(0, 12)}` : 'anonymous',
    ...(context.traceparent ? { traceparent: context.traceparent } : {}),
  };
}
