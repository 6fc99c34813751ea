import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import express, { type RequestHandler } from 'express';
import { silentLogger } from '../../application/ports/logger';
import { errorMiddleware } from './errorMiddleware';
import { UnsupportedMediaTypeError } from './httpErrors';
import { jsonBody, jsonBodyLimit } from './jsonBody';

/**
 * jsonBody reads plain JSON requests itself and hands every other one to express.json: either
 * way it must answer as the pipeline it replaced (a JSON Content-Type check, then express.json).
 * Raw HTTP, so that headers, chunking and bytes are exactly as written here.
 */
const replacedPipeline: RequestHandler[] = [
  (req, _res, next) => {
    const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
    if (hasBody && !req.is('application/json')) return next(new UnsupportedMediaTypeError(req.get('content-type')));
    next();
  },
  express.json({ limit: jsonBodyLimit, strict: true, type: 'application/json' }),
];

function echoApp(...parsers: RequestHandler[]) {
  const app = express();
  app.post('/echo', ...parsers, (req, res) => {
    res.json({ body: req.body === undefined ? '(undefined)' : req.body });
  });
  app.use(errorMiddleware(silentLogger));
  return app;
}

type RawRequest = Readonly<{ headers: Record<string, string>; chunks: readonly Buffer[] }>;
type RawResponse = Readonly<{ status: number; body: unknown }>;

function send(server: Server, { headers, chunks }: RawRequest): Promise<RawResponse> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = httpRequest({ port, method: 'POST', path: '/echo', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) as unknown }));
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

const json = 'application/json';
const withLength = (type: string | undefined, body: Buffer, extra: Record<string, string> = {}): RawRequest => ({
  headers: { ...(type ? { 'content-type': type } : {}), 'content-length': String(body.length), ...extra },
  chunks: body.length ? [body] : [],
});
const utf8 = (text: string) => Buffer.from(text, 'utf8');
const order = JSON.stringify({ patientId: 'p-1', medications: [{ sku: 'A', quantity: 1 }], note: 'é ✓' });

const cases: Readonly<Record<string, RawRequest>> = {
  'a JSON object': withLength(json, utf8(order)),
  'charset=utf-8': withLength('application/json; charset=utf-8', utf8(order)),
  'an upper-case media type': withLength('Application/JSON; Charset=UTF-8', utf8(order)),
  'a byte order mark': withLength(json, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8(order)])),
  'leading whitespace and an array': withLength(json, utf8(' \r\n\t[1, {"a": 2}]')),
  'an empty JSON body': withLength(json, Buffer.alloc(0)),
  'no body and no Content-Type': withLength(undefined, Buffer.alloc(0)),
  'a JSON string': withLength(json, utf8('"hello"')),
  'a number': withLength(json, utf8('  42')),
  'only whitespace': withLength(json, utf8('   ')),
  'truncated JSON': withLength(json, utf8('{"patientId": ')),
  'a __proto__ key': withLength(json, utf8('{"__proto__": {"isAdmin": true}, "a": 1}')),
  'invalid UTF-8 in a string': withLength(
    json,
    Buffer.concat([utf8('{"a": "'), Buffer.from([0xff, 0xfe]), utf8('"}')]),
  ),
  'text/plain': withLength('text/plain', utf8(order)),
  'another charset': withLength('application/json; charset=latin1', utf8(order)),
  'UTF-16': withLength('application/json; charset=utf-16le', Buffer.from(order, 'utf16le')),
  'a gzip body': withLength(json, gzipSync(utf8(order)), { 'content-encoding': 'gzip' }),
  'an unknown Content-Encoding': withLength(json, utf8(order), { 'content-encoding': 'snappy' }),
  'a chunked body': { headers: { 'content-type': json }, chunks: [utf8(order.slice(0, 10)), utf8(order.slice(10))] },
  'a body over the limit': withLength(json, utf8(JSON.stringify({ a: 'x'.repeat(70 * 1024) }))),
  'a body at the limit': withLength(json, utf8(JSON.stringify({ a: 'x'.repeat(64 * 1024 - 8) }))),
};

describe('jsonBody', () => {
  let ours: Server;
  let replaced: Server;
  beforeAll(() => {
    ours = echoApp(jsonBody()).listen(0);
    replaced = echoApp(...replacedPipeline).listen(0);
  });
  afterAll(() => {
    ours.close();
    replaced.close();
  });

  it.each(Object.entries(cases))('answers %s as express.json did', async (_name, request) => {
    const [mine, theirs] = [await send(ours, request), await send(replaced, request)];
    expect(mine.status).toBe(theirs.status);
    if (mine.status < 400) expect(mine.body).toEqual(theirs.body);
    else
      expect((mine.body as { error: { code: string } }).error.code).toBe(
        (theirs.body as { error: { code: string } }).error.code,
      );
  });

  it('reads what clients send: the body parsed, a BOM dropped, an empty body as {}', async () => {
    expect((await send(ours, cases['a byte order mark']!)).body).toEqual({ body: JSON.parse(order) });
    expect((await send(ours, cases['an empty JSON body']!)).body).toEqual({ body: {} });
    expect((await send(ours, cases['a JSON string']!)).status).toBe(400);
    expect((await send(ours, cases['a body over the limit']!)).status).toBe(413);
  });
});
