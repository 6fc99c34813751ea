import { maxHeaderSize, STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FulfillmentError } from '../../domain/errors';
import { errorBodyOf } from './errorMiddleware';
import { statusOfCode } from './errorStatuses';
import {
  ChunkExtensionsTooLargeError,
  HeadersTooLargeError,
  MalformedRequestError,
  RequestTimeoutError,
} from './httpErrors';

/**
 * Some bad requests never reach express: Node's HTTP parser refuses them (raw non-ASCII bytes in
 * the path, a header section over --max-http-header-size, a request that stalls) and, left to
 * itself, answers a bare 400, 431 or 408 with no body. SPEC §5 wants every 4xx in the one error
 * shape, so the server's `clientError` event answers them here, straight on the socket (there is
 * no request or response object yet).
 *
 * The socket is ended, not destroyed: the client may still be sending (the rest of a 100 KB
 * header), and closing with its bytes unread makes the kernel reset the connection, which can
 * discard our answer before the client reads it. The parser keeps refusing what still arrives
 * (another `clientError` on the same socket: ignored), and the socket is destroyed when the client
 * closes, or `lingerMs` after our answer.
 */
export const clientErrorLingerMs = 5_000;

export function answerClientErrors(server: Server): void {
  const answered = new WeakSet<Duplex>();
  server.on('clientError', (error: ParserError, socket: Duplex) => {
    if (answered.has(socket)) return;
    // An earlier request's response still in flight on this connection (pipelining): the client
    // would read our 400 as that request's answer (a POST /orders that went through looking
    // refused, and retried). Cutting the connection says only that it broke.
    if (!socket.writable || responseInFlight(socket)) {
      socket.destroy();
      return;
    }
    answered.add(socket);
    socket.end(rawErrorResponse(clientErrorOf(error)));
    const linger = setTimeout(() => socket.destroy(), clientErrorLingerMs).unref();
    socket.once('close', () => clearTimeout(linger));
  });
}

/** Node's parser errors carry llhttp's code (`HPE_…`) and a reason a person can read. */
export type ParserError = Error & { code?: string; reason?: string };

/** The mapping Node's default handler makes, with the codes of our one status table. */
export function clientErrorOf(error: ParserError): FulfillmentError {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new HeadersTooLargeError(maxHeaderSize);
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new ChunkExtensionsTooLargeError();
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new RequestTimeoutError();
    default:
      return new MalformedRequestError(error.reason);
  }
}

/** A whole HTTP/1.1 response, written by hand as no ServerResponse exists. */
export function rawErrorResponse(known: FulfillmentError): string {
  const status = statusOfCode(known.code);
  const body = JSON.stringify(errorBodyOf(known));
  return [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    `Date: ${new Date().toUTCString()}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Cache-Control: no-store',
    'X-Content-Type-Options: nosniff',
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/** Node keeps the response that owns the socket on `_httpMessage` (its own default handler checks it). */
const responseInFlight = (socket: Duplex): boolean =>
  (socket as Duplex & { _httpMessage?: unknown })._httpMessage != null;
