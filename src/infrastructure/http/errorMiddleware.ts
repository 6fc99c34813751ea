import type { ErrorRequestHandler } from 'express';
import type { Logger } from '../../application/ports/logger';
import { FulfillmentError } from '../../domain/errors';
import {
  MalformedJsonError,
  MalformedPathParameterError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from './httpErrors';
import { statusOfCode } from './errorStatuses';
import { jsonBodyLimit } from './jsonBody';
import { isStorageUnavailable, retryAfterSeconds, StorageUnavailableError } from '../database/storageUnavailable';

export type ErrorBody = Readonly<{
  error: Readonly<{ code: string; message: string; details?: readonly unknown[]; saga?: unknown }>;
}>;

/**
 * Every error leaves in one shape, `{ error: { code, message, details?, saga? } }`, with the
 * status the code maps to. Nothing else — no stack, no driver message — reaches the client.
 */
export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const known = toFulfillmentError(error);
    const status = known ? statusOfCode(known.code) : 500;
    if (status >= 500) logger.error({ err: error, method: req.method, path: req.path }, 'request failed');
    if (res.headersSent) return;
    // 503s are ours and say what is unavailable; any other 5xx hides its cause from the client.
    const exposed = known && (status < 500 || status === 503);
    const body: ErrorBody = exposed
      ? errorBodyOf(known)
      : { error: { code: 'INTERNAL_ERROR', message: 'the service failed to handle this request; it has been logged' } };
    if (status === 401) res.set('WWW-Authenticate', 'Bearer');
    if (known?.code === 'UNAVAILABLE') res.set('Retry-After', String(retryAfterSeconds));
    res.status(status).json(body);
  };
}

/** The one error shape, for the errors whose code and message a client may see. */
export const errorBodyOf = (known: FulfillmentError): ErrorBody => ({
  error: {
    code: known.code,
    message: known.message,
    ...(known.details?.length ? { details: known.details } : {}),
    ...(known.saga ? { saga: known.saga } : {}),
  },
});

/**
 * body-parser reports its failures as errors with a `type`, and express's router a path parameter
 * it cannot decode as a URIError with status 400 (raised while matching, before any handler):
 * they become ours here.
 */
function toFulfillmentError(error: unknown): FulfillmentError | undefined {
  if (error instanceof FulfillmentError) return error;
  if (isStorageUnavailable(error)) return new StorageUnavailableError();
  if (error instanceof URIError && (error as { status?: number }).status === 400)
    return new MalformedPathParameterError(/^Failed to decode param '(.*)'$/s.exec(error.message)?.[1]);
  const parserError = error as { type?: string; message?: string; status?: number };
  switch (parserError?.type) {
    case 'entity.too.large':
      return new PayloadTooLargeError(jsonBodyLimit);
    case 'entity.parse.failed':
      return new MalformedJsonError(parserError.message ?? 'unparseable');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new UnsupportedMediaTypeError(parserError.message);
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new MalformedJsonError(parserError.message ?? 'incomplete body');
    default:
      return undefined;
  }
}
