import { FulfillmentError } from '../../domain/errors';

/**
 * Errors that say our own storage is away for now — the database restarting or unreachable, its
 * connections dropped, refused or exhausted, SQLite's write lock not had in time — as opposed to a
 * bug or bad input. A request that meets one answers 503 UNAVAILABLE with Retry-After (a client may
 * retry), never 500; the followers of the log retry them on their own.
 */
const unavailableCodes: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_ACCOUNT_HAS_BEEN_LOCKED',
  'ER_LOCK_WAIT_TIMEOUT',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
]);

/** mysql2 says a pooled connection died this way, without a code. */
const closedConnection = /closed state|Connection lost|Pool is closed|Connection is closed/i;

export function isStorageUnavailable(error: unknown): boolean {
  // An adapter that knows its client's errors (EventStoreDB: esdbMapping.ts) says so with this class.
  if (error instanceof StorageUnavailableError) return true;
  const { code, errno, message } = (error ?? {}) as { code?: unknown; errno?: unknown; message?: unknown };
  // MariaDB's "this account is locked" (4151) has no name in mysql2's list.
  return (
    (typeof code === 'string' && unavailableCodes.has(code)) ||
    errno === 4151 ||
    (typeof message === 'string' && closedConnection.test(message))
  );
}

/** Seconds a client is told to wait before it retries a request that met an unavailable store. */
export const retryAfterSeconds = 2;

/** Our storage away, as the service says it; `cause` is the driver's or client's own error, when there is one. */
export class StorageUnavailableError extends FulfillmentError {
  constructor(override readonly cause?: unknown) {
    super(
      'UNAVAILABLE',
      `the service's storage is unavailable for now; nothing was changed: retry in ${retryAfterSeconds} s`,
    );
  }
}
