import { maxHeaderSize } from 'node:http';
import { clientErrorOf, rawErrorResponse, type ParserError } from './clientErrors';
import { parseRawResponse } from '../../testing/rawHttp';

/** The errors Node's HTTP server reports on `clientError`, and the answers they get. */
const parserError = (code: string, reason?: string): ParserError =>
  Object.assign(new Error(`Parse Error: ${reason ?? code}`), { code, ...(reason ? { reason } : {}) });

describe('clientErrorOf', () => {
  it.each([
    ['HPE_HEADER_OVERFLOW', 431, 'HEADERS_TOO_LARGE'],
    ['HPE_CHUNK_EXTENSIONS_OVERFLOW', 413, 'PAYLOAD_TOO_LARGE'],
    ['ERR_HTTP_REQUEST_TIMEOUT', 408, 'REQUEST_TIMEOUT'],
    ['HPE_INVALID_URL', 400, 'MALFORMED_REQUEST'],
    ['HPE_INVALID_METHOD', 400, 'MALFORMED_REQUEST'],
    ['HPE_UNEXPECTED_CONTENT_LENGTH', 400, 'MALFORMED_REQUEST'],
  ])('%s → %d %s, in the error shape', (code, status, errorCode) => {
    const response = parseRawResponse(rawErrorResponse(clientErrorOf(parserError(code))));
    expect(response.statusLine).toMatch(new RegExp(`^HTTP/1\\.1 ${status} [A-Z]`));
    expect(response.headers).toMatchObject({
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(response.body)),
      connection: 'close',
    });
    expect(JSON.parse(response.body)).toEqual({ error: { code: errorCode, message: expect.any(String) } });
    expect(response.rest).toBe('');
  });

  it('names the parser’s reason and the header limit', () => {
    expect(clientErrorOf(parserError('HPE_INVALID_URL', 'Invalid char in url path')).message).toContain(
      '(Invalid char in url path)',
    );
    expect(clientErrorOf(parserError('HPE_HEADER_OVERFLOW')).message).toContain(`${maxHeaderSize} bytes`);
  });
});
