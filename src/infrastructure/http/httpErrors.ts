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

export class AuthenticationThrottledError extends FulfillmentError {
  constructor(failuresPerMinute: number) {
    super(
      'RATE_LIMITED',
      `more than ${failuresPerMinute} failed authentications from this address in a minute: every request from it is refused until the Retry-After delay has passed; check the token against API_TOKENS meanwhile`,
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

/**
 * A path segment that is not percent-encoded UTF-8 (`%E0%A4%A`): express cannot decode it into a
 * route parameter. The caller's input, like any other malformed id, so VALIDATION_FAILED.
 */
export class MalformedPathParameterError extends FulfillmentError {
  constructor(segment: string | undefined) {
    const shown = segment === undefined ? undefined : shown64(segment);
    super(
      'VALIDATION_FAILED',
      `path segment${shown === undefined ? '' : ` ${JSON.stringify(shown)}`} is not valid percent-encoding: write each byte of the UTF-8 id as %XX, or send the id unescaped`,
      // `path` as in every VALIDATION_FAILED detail; empty, as the router does not say which parameter.
      [{ path: [], message: 'malformed percent-escape', ...(shown === undefined ? {} : { segment: shown }) }],
    );
  }
}

/** The segment echoed back, cut to a length a person reads: the request line may be 16 KB. */
const shown64 = (text: string) => (text.length > 64 ? `${text.slice(0, 64)}…` : text);

/**
 * What Node's HTTP parser refuses before any route runs (see clientErrors.ts): no request object
 * exists, so these are answered straight on the socket.
 */
export class MalformedRequestError extends FulfillmentError {
  constructor(parserReason: string | undefined) {
    super(
      'MALFORMED_REQUEST',
      `the request is not valid HTTP/1.1${parserReason ? ` (${parserReason})` : ''}: send ASCII in the request line and headers, percent-encoding anything else in the path`,
    );
  }
}

export class HeadersTooLargeError extends FulfillmentError {
  constructor(limitBytes: number) {
    super(
      'HEADERS_TOO_LARGE',
      `the request line and headers are larger than ${limitBytes} bytes: send fewer or smaller headers`,
    );
  }
}

export class ChunkExtensionsTooLargeError extends FulfillmentError {
  constructor() {
    super('PAYLOAD_TOO_LARGE', 'the chunk extensions of the request body are too large: send the body without them');
  }
}

export class RequestTimeoutError extends FulfillmentError {
  constructor() {
    super('REQUEST_TIMEOUT', 'the request did not arrive in full in time: send it again, without pauses');
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
