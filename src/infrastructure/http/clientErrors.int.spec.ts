import type { AddressInfo } from 'node:net';
import { startTestService, testTokens, type TestService } from '../app/testing/testService';
import { parseRawResponse, rawExchange, type RawResponse } from '../../testing/rawHttp';

/**
 * SPEC §5 for the requests Node's HTTP parser refuses before express sees them: through the
 * server `serve` starts (the composition root's wiring), answered in the one error shape, and the
 * server goes on serving.
 */
let harness: TestService;
let port: number;

beforeAll(async () => {
  harness = await startTestService('sqlite');
  port = ((await harness.service.serve(0)).address() as AddressInfo).port;
});
afterAll(() => harness.dispose());

const healthz = 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n';

function expectErrorShape(response: Omit<RawResponse, 'closed'>, status: number, code: string) {
  expect(response.statusLine).toMatch(new RegExp(`^HTTP/1\\.1 ${status} \\w`));
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  expect(response.headers.connection).toBe('close');
  expect(Number(response.headers['content-length'])).toBe(Buffer.byteLength(response.body));
  const body = JSON.parse(response.body) as { error: Record<string, unknown> };
  expect(body).toEqual({ error: { code, message: expect.any(String) } });
  expect(response.rest).toBe('');
}

async function expectStillServing() {
  const response = await rawExchange(port, healthz);
  expect(response.status).toBe(200);
}

describe('requests the HTTP parser refuses', () => {
  it('answers raw non-ASCII bytes in the path with 400 MALFORMED_REQUEST in the error shape', async () => {
    const request = Buffer.concat([
      Buffer.from('GET /sagas/'),
      Buffer.from([0xe0, 0xa4, 0xa4]),
      Buffer.from(` HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${testTokens.client}\r\n\r\n`),
    ]);
    const response = await rawExchange(port, request);
    expectErrorShape(response, 400, 'MALFORMED_REQUEST');
    expect(response.closed).toBe('end');
    expect(JSON.parse(response.body).error.message).toMatch(/not valid HTTP\/1\.1 \(Invalid char in url path\)/);
    await expectStillServing();
  });

  it('answers a 100 KB header with 431 HEADERS_TOO_LARGE in the error shape', async () => {
    const request = `GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Padding: ${'a'.repeat(100 * 1024)}\r\n\r\n`;
    const response = await rawExchange(port, request);
    expectErrorShape(response, 431, 'HEADERS_TOO_LARGE');
    // Ended, not reset, though most of the header was still unread: the answer reaches the client.
    expect(response.closed).toBe('end');
    expect(JSON.parse(response.body).error.message).toMatch(/larger than \d+ bytes/);
    await expectStillServing();
  });

  it('answers a request line that is not HTTP with 400 MALFORMED_REQUEST', async () => {
    const response = await rawExchange(port, 'HELLO THERE\r\n\r\n');
    expectErrorShape(response, 400, 'MALFORMED_REQUEST');
    await expectStillServing();
  });

  it('answers garbage sent on a kept-alive connection after a finished exchange', async () => {
    const request = 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n';
    const response = await rawExchange(port, [request, '\u0001garbage\r\n\r\n']);
    expect(response.status).toBe(200);
    expectErrorShape(parseRawResponse(response.rest), 400, 'MALFORMED_REQUEST');
    expect(response.closed).toBe('end');
    await expectStillServing();
  });

  it('never sends its answer as the response of a request still in flight on the connection', async () => {
    // Pipelined: the garbage is parsed while the first request's response is still attached.
    const request = 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n';
    const response = await rawExchange(port, `${request}\u0001garbage\r\n\r\n`);
    expect([200, 0]).toContain(response.status);
    expect(response.rest).toBe('');
    expect(response.closed).not.toBe('open');
    await expectStillServing();
  });
});
