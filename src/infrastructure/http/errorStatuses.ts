/**
 * The one table from error codes to HTTP statuses. A code missing here is a bug on our side and
 * answers 500 without details.
 */
export const errorStatuses: Readonly<Record<string, number>> = {
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  // Refused by Node's HTTP parser before any route runs (clientErrors.ts).
  MALFORMED_REQUEST: 400,
  // An event the HTTP schema let through but the event catalog refused: still the caller's input.
  EVENT_SCHEMA_VIOLATION: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  SAGA_STATE_CONFLICT: 409,
  ORDER_ALREADY_FINAL: 409,
  CONCURRENCY_CONFLICT: 409,
  IDEMPOTENCY_REQUEST_IN_PROGRESS: 409,
  STOCK_BELOW_RESERVED: 409,
  // A saga this version cannot restore is stopped (see /readyz): nothing acts on it until a version that can runs.
  SAGA_MACHINE_VERSION_MISMATCH: 409,
  SAGA_SNAPSHOT_INVALID: 409,
  SAGA_HISTORY_INVALID: 409,
  REQUEST_TIMEOUT: 408,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_KEY_REUSED: 422,
  RATE_LIMITED: 429,
  HEADERS_TOO_LARGE: 431,
  PARTICIPANT_UNAVAILABLE: 503,
  NOT_READY: 503,
  // Our own storage is away for now: nothing was changed, and the client may retry (Retry-After).
  UNAVAILABLE: 503,
};

export const statusOfCode = (code: string): number => errorStatuses[code] ?? 500;
