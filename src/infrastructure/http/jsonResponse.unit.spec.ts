import express, { type RequestHandler } from 'express';
import request from 'supertest';
import { sendConditionalJson, useDirectJsonResponses } from './jsonResponse';

/** The direct res.json must send what express's sends: status, headers and bytes. */
function appWith(handler: RequestHandler, direct: boolean) {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  if (direct) useDirectJsonResponses(app);
  app.all('/', handler);
  return app;
}

const handlers: Readonly<Record<string, RequestHandler>> = {
  'an object with a status': (_req, res) => void res.status(202).json({ orderId: 'o-1', links: { a: '/x' }, n: 1.5 }),
  'non-ASCII text': (_req, res) => void res.json({ note: 'é ✓ 𝄞' }),
  'an array': (_req, res) => void res.json([1, null, 'a']),
  null: (_req, res) => void res.json(null),
  'a string': (_req, res) => void res.json('hello'),
  undefined: (_req, res) => void res.json(undefined),
  'res.send of an object': (_req, res) => void res.send({ a: 1 }),
  'headers set before': (_req, res) => void res.set('Idempotent-Replayed', 'true').status(409).json({ error: {} }),
  'a Content-Type set before': (_req, res) => void res.type('application/problem+json').json({ a: 1 }),
  '204': (_req, res) => void res.status(204).json({ a: 1 }),
  'an ETag set before': (_req, res) => void res.set('ETag', '"abc"').json({ a: 1 }),
};

describe('useDirectJsonResponses', () => {
  it.each(Object.entries(handlers))('sends %s as express does', async (_name, handler) => {
    for (const method of ['get', 'head'] as const) {
      const [ours, theirs] = [
        await request(appWith(handler, true))[method]('/').set('If-None-Match', '"abc"'),
        await request(appWith(handler, false))[method]('/').set('If-None-Match', '"abc"'),
      ];
      expect(ours.status).toBe(theirs.status);
      const { date: _ourDate, ...ourHeaders } = ours.headers;
      const { date: _theirDate, ...theirHeaders } = theirs.headers;
      expect(ourHeaders).toEqual(theirHeaders);
      expect(ours.text).toEqual(theirs.text);
    }
  });
});

describe('sendConditionalJson', () => {
  let body: unknown = { items: [{ sagaId: 's-1', state: 'COMPLETED' }], nextCursor: 'abc' };
  const app = express();
  app.get('/', (req, res) => sendConditionalJson(req, res, 200, body));

  it('answers with a strong ETag, then 304 without a body while the answer is unchanged', async () => {
    const first = await request(app).get('/');
    expect(first.status).toBe(200);
    expect(first.body).toEqual(body);
    expect(first.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(first.headers['cache-control']).toBe('private, no-cache');
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[\w-]+"$/);

    const again = await request(app).get('/').set('If-None-Match', etag);
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    expect(again.headers.etag).toBe(etag);
    expect((await request(app).get('/').set('If-None-Match', `"other", ${etag}`)).status).toBe(304);
    expect((await request(app).head('/').set('If-None-Match', etag)).status).toBe(304);

    body = { items: [], nextCursor: 'abd' };
    const changed = await request(app).get('/').set('If-None-Match', etag);
    expect(changed.status).toBe(200);
    expect(changed.body).toEqual(body);
    expect(changed.headers.etag).not.toBe(etag);
  });

  it('answers 200 to a tag it never gave', async () => {
    expect((await request(app).get('/').set('If-None-Match', '"nope"')).status).toBe(200);
  });
});
