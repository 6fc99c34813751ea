import request from 'supertest';
import type { Express } from 'express';
import { allEvents, startTestService, testTokens, validOrder, type TestService } from '../app/testing/testService';

/**
 * SPEC §5 and §9.6: bad input of any kind gets a 4xx in the one error shape, appends nothing and
 * leaves the service ready.
 */
const client = `Bearer ${testTokens.client}`;
const unknownUuid = '3f1c2b7e-9a4d-4e6f-8b2a-1c3d5e7f9a0b';

type Case = Readonly<{ name: string; status: number; code: string; send: (app: Express) => request.Test }>;

const order = validOrder();
const withMedications = (medications: unknown) => ({ ...order, medications });
const post = (app: Express, body: unknown) =>
  request(app)
    .post('/orders')
    .set('Authorization', client)
    .send(body as object);

/**
 * Percent-escapes that are not UTF-8 (`%A` cut short, `%ZZ` not hex, `%C3%28` a lead byte with no
 * continuation, `%FF` never valid): express cannot decode them into a path parameter. Every route
 * with one must say 400, not 500.
 */
const malformedEscape = '%E0%A4%A';
const operator = `Bearer ${testTokens.operator}`;
const pathParameterRoutes: readonly Readonly<{ method: 'get' | 'post' | 'put'; path: string; token: string }>[] = [
  { method: 'get', path: '/orders/:orderId', token: client },
  { method: 'post', path: '/orders/:orderId/cancel', token: client },
  { method: 'get', path: '/sagas/:sagaId', token: client },
  { method: 'get', path: '/sagas/:sagaId/events', token: client },
  { method: 'post', path: '/sagas/:sagaId/retry', token: operator },
  { method: 'post', path: '/sagas/:sagaId/resolve', token: operator },
  { method: 'get', path: '/inventory/:sku', token: client },
  { method: 'put', path: '/inventory/:sku', token: operator },
];
const sendTo = (app: Express, method: 'get' | 'post' | 'put', path: string, token: string) => {
  const sent = request(app)[method](path).set('Authorization', token);
  return method === 'get' ? sent : sent.send(method === 'put' ? { onHand: 1 } : { note: 'x' });
};
const malformedEscapeCases: Case[] = [
  ...pathParameterRoutes.map(({ method, path, token }): Case => ({
    name: `a malformed percent-escape in ${method.toUpperCase()} ${path}`,
    status: 400,
    code: 'VALIDATION_FAILED',
    send: (app) => sendTo(app, method, path.replace(/:\w+/, malformedEscape), token),
  })),
  ...['%', '%ZZ', '%C3%28', '%FF', `abc${malformedEscape}def`].map((segment): Case => ({
    name: `the malformed percent-escape ${segment} in GET /sagas/:sagaId`,
    status: 400,
    code: 'VALIDATION_FAILED',
    send: (app) => sendTo(app, 'get', `/sagas/${segment}`, client),
  })),
  {
    name: 'a malformed percent-escape without a token (refused as the route is matched, before it runs)',
    status: 400,
    code: 'VALIDATION_FAILED',
    send: (app) => request(app).get(`/sagas/${malformedEscape}`),
  },
];

const cases: Case[] = [
  ...malformedEscapeCases,
  {
    name: 'malformed JSON',
    status: 400,
    code: 'MALFORMED_JSON',
    send: (app) =>
      request(app)
        .post('/orders')
        .set('Authorization', client)
        .set('Content-Type', 'application/json')
        .send('{"patientId": '),
  },
  {
    name: 'a JSON string instead of an object',
    status: 400,
    code: 'MALFORMED_JSON',
    send: (app) =>
      request(app).post('/orders').set('Authorization', client).set('Content-Type', 'application/json').send('"hello"'),
  },
  { name: 'an array body', status: 400, code: 'VALIDATION_FAILED', send: (app) => post(app, [order]) },
  {
    name: 'wrong types',
    status: 400,
    code: 'VALIDATION_FAILED',
    send: (app) => post(app, { ...order, patientId: 42 }),
  },
  { name: 'no medications', status: 400, code: 'VALIDATION_FAILED', send: (app) => post(app, withMedications([])) },
  {
    name: '51 medications',
    status: 400,
    code: 'VALIDATION_FAILED',
    send: (app) => post(app, withMedications(Array.from({ length: 51 }, (_, i) => ({ sku: `SKU-${i}`, quantity: 1 })))),
  },
  {
    name: 'repeated skus',
    status: 400,
    code: 'VALIDATION_FAILED',
    send: (app) =>
      post(
        app,
        withMedications([
          { sku: 'A', quantity: 1 },
          { sku: 'A', quantity: 2 },
        ]),
      ),
  },
  {
    name: 'quantity 0',
    status: 400,
    code: 'VALIDATION_FAILED',
    send: (app) => post(app, withMedications([{ sku: 'A', quantity: 0 }])),
  },
  {
    name: 'quantity 1001',
    status: 400,
    code: 'VALIDATION_FAILED',
    send: (app) => post(app, withMedications([{ sku: 'A', quantity: 1001 }])),
  },
  {
    name: 'fractional quantity',
    status: 400,
    code: 'VALIDATION_FAILED',
    send: (app) => post(app, withMedications([{ sku: 'A', quantity: 1.5 }])),
  },
  {
    name: 'a lower-case country',
    status: 400,
    code: 'VALIDATION_FAILED',
    send: (app) => post(app, { ...order, shippingAddress: { ...order.shippingAddress, country: 'us' } }),
  },
  {
    name: 'an unknown key',
    status: 400,
    code: 'VALIDATION_FAILED',
    send: (app) => post(app, { ...order, admin: true }),
  },
  {
    name: 'a __proto__ key',
    status: 400,
    code: 'VALIDATION_FAILED',
    send: (app) =>
      request(app)
        .post('/orders')
        .set('Authorization', client)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify(order).replace(/^\{/, '{"__proto__":{"isAdmin":true},')),
  },
  {
    name: 'a nested constructor key',
    status: 400,
    code: 'VALIDATION_FAILED',
    send: (app) =>
      post(app, { ...order, shippingAddress: { ...order.shippingAddress, constructor: { prototype: {} } } }),
  },
  {
    name: 'an oversized body',
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    send: (app) => post(app, { ...order, patientId: 'x'.repeat(70 * 1024) }),
  },
  {
    name: 'a text/plain body',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    send: (app) =>
      request(app)
        .post('/orders')
        .set('Authorization', client)
        .set('Content-Type', 'text/plain')
        .send(JSON.stringify(order)),
  },
  {
    name: 'a form body',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    send: (app) => request(app).post('/orders').set('Authorization', client).type('form').send({ patientId: 'p' }),
  },
  { name: 'no token', status: 401, code: 'UNAUTHORIZED', send: (app) => request(app).post('/orders').send(order) },
  {
    name: 'a wrong token',
    status: 401,
    code: 'UNAUTHORIZED',
    send: (app) => request(app).post('/orders').set('Authorization', 'Bearer not-a-known-token-at-all').send(order),
  },
  {
    name: 'a Basic authorization',
    status: 401,
    code: 'UNAUTHORIZED',
    send: (app) => request(app).post('/orders').set('Authorization', 'Basic dXNlcjpwYXNz').send(order),
  },
  {
    name: 'the client role on an operator route',
    status: 403,
    code: 'FORBIDDEN',
    send: (app) => request(app).post(`/sagas/${unknownUuid}/resolve`).set('Authorization', client).send({ note: 'x' }),
  },
  {
    name: 'a bad order UUID',
    status: 400,
    code: 'VALIDATION_FAILED',
    send: (app) => request(app).get('/orders/not-a-uuid').set('Authorization', client),
  },
  {
    name: 'an unknown order',
    status: 404,
    code: 'NOT_FOUND',
    send: (app) => request(app).get(`/orders/${unknownUuid}`).set('Authorization', client),
  },
  {
    name: 'an unknown saga',
    status: 404,
    code: 'NOT_FOUND',
    send: (app) => request(app).get(`/sagas/${unknownUuid}`).set('Authorization', client),
  },
  {
    name: 'events of an unknown saga',
    status: 404,
    code: 'NOT_FOUND',
    send: (app) => request(app).get(`/sagas/${unknownUuid}/events`).set('Authorization', client),
  },
  {
    name: 'cancelling an unknown order',
    status: 404,
    code: 'NOT_FOUND',
    send: (app) => request(app).post(`/orders/${unknownUuid}/cancel`).set('Authorization', client),
  },
  {
    name: 'retrying an unknown saga',
    status: 404,
    code: 'NOT_FOUND',
    send: (app) =>
      request(app).post(`/sagas/${unknownUuid}/retry`).set('Authorization', `Bearer ${testTokens.operator}`),
  },
  {
    name: 'an unknown route',
    status: 404,
    code: 'NOT_FOUND',
    send: (app) => request(app).get('/nope').set('Authorization', client),
  },
  {
    name: 'an unknown state filter',
    status: 400,
    code: 'VALIDATION_FAILED',
    send: (app) => request(app).get('/sagas?state=DONE').set('Authorization', client),
  },
  {
    name: 'limit above 200',
    status: 400,
    code: 'VALIDATION_FAILED',
    send: (app) => request(app).get('/sagas?limit=201').set('Authorization', client),
  },
  {
    name: 'a forged cursor',
    status: 400,
    code: 'VALIDATION_FAILED',
    send: (app) => request(app).get('/sagas?cursor=abc').set('Authorization', client),
  },
  {
    name: 'a repeated query key',
    status: 400,
    code: 'VALIDATION_FAILED',
    send: (app) => request(app).get('/sagas?scope=failed&scope=pending').set('Authorization', client),
  },
  {
    name: 'negative stock',
    status: 400,
    code: 'VALIDATION_FAILED',
    send: (app) =>
      request(app).put('/inventory/X-1').set('Authorization', `Bearer ${testTokens.operator}`).send({ onHand: -1 }),
  },
];

describe('bad input', () => {
  let harness: TestService;
  let app: Express;

  beforeAll(async () => {
    harness = await startTestService('sqlite');
    app = harness.service.createHttpApp();
  });
  afterAll(() => harness.dispose());

  it.each(cases)('$name → $status $code, nothing appended', async ({ status, code, send }) => {
    const before = (await allEvents(harness.service.eventStore)).length;
    const response = await send(app);
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.body).toEqual({
      error: expect.objectContaining({ code, message: expect.any(String) }),
    });
    expect(Object.keys(response.body.error).every((key) => ['code', 'message', 'details', 'saga'].includes(key))).toBe(
      true,
    );
    expect(JSON.stringify(response.body)).not.toMatch(/at .*\.ts:\d+/);
    expect((await allEvents(harness.service.eventStore)).length).toBe(before);
  });

  it('names the malformed path segment and what to send instead', async () => {
    const response = await request(app).get(`/sagas/${malformedEscape}/events`).set('Authorization', client);
    expect(response.body.error).toEqual({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining(`"${malformedEscape}" is not valid percent-encoding`),
      details: [{ path: [], message: 'malformed percent-escape', segment: malformedEscape }],
    });
  });

  it('leaves the service ready and still taking orders', async () => {
    expect((await request(app).get('/readyz')).status).toBe(200);
    expect((await post(app, order)).status).toBe(202);
  });

  it('answers 429 in the error shape past the per-token rate limit, per token', async () => {
    const limited = await startTestService('sqlite', { RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const limitedApp = limited.service.createHttpApp();
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++)
        statuses.push((await request(limitedApp).get('/sagas').set('Authorization', client)).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const refused = await request(limitedApp).get('/sagas').set('Authorization', client);
      expect(refused.body.error.code).toBe('RATE_LIMITED');
      const otherToken = await request(limitedApp).get('/sagas').set('Authorization', `Bearer ${testTokens.operator}`);
      expect(otherToken.status).toBe(200);
    } finally {
      await limited.dispose();
    }
  });
});
