import { FulfillmentError } from '../../domain/errors';

/** Errors only the HTTP edge raises. Their codes are mapped to statuses in errorStatuses.ts. */

export class UnauthorizedError extends FulfillmentError {
  constructor(reason: string) {
    super('UNAUTHORIZED', `${reason}: send Authorization: Bearer <token> with a token from API_TOKENS`);
  }
}

export class ForbiddenError extends FulfillmentError {
  constructor(role: string) {
    super('FORBIDDEN', `this route needs the ${role} role, and the token sent does not have it`);
  }
}

export class RateLimitedError extends FulfillmentError {
  constructor(limitPerMinute: number) {
    super(
      'RATE_LIMITED',
      `more than ${limitPerMinute} requests in a minute with this token: slow down and retry after the Retry-After delay`,
    );
  }
}

export class IdempotencyKeyReusedError extends FulfillmentError {
  constructor() {
    super(
      'IDEMPOTENCY_KEY_REUSED',
      'this Idempotency-Key was first used with a different request: use a new key for a new request',
    );
  }
}

export class IdempotencyRequestInProgressError extends FulfillmentError {
  constructor() {
    super(
      'IDEMPOTENCY_REQUEST_IN_PROGRESS',
      'the first request with this Idempotency-Key is still running: retry in a moment',
    );
  }
}

export class PayloadTooLargeError extends FulfillmentError {
  constructor(limit: string) {
    super('PAYLOAD_TOO_LARGE', `request body is larger than ${limit}: an order has at most 50 medication lines`);
  }
}

export class UnsupportedMediaTypeError extends FulfillmentError {
  constructor(received: string | undefined) {
    super(
      'UNSUPPORTED_MEDIA_TYPE',
      `request body must be JSON sent with Content-Type: application/json (got ${received ? `"${received}"` : 'none'})`,
    );
  }
}

export class MalformedJsonError extends FulfillmentError {
  constructor(reason: string) {
    super('MALFORMED_JSON', `request body is not valid JSON (${reason}): send one JSON object`);
  }
}

export class RouteNotFoundError extends FulfillmentError {
  constructor(method: string, path: string) {
    super('NOT_FOUND', `no route ${method} ${path}: see GET /openapi.json for the routes this service has`);
  }
}

export class NotReadyError extends FulfillmentError {
  constructor(failures: readonly Readonly<{ check: string; message: string }>[]) {
    super('NOT_READY', `not ready: ${failures.map((failure) => failure.check).join(', ')} failing`, failures);
  }
}
