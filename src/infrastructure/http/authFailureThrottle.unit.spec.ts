import express from 'express';
import request from 'supertest';
import { silentLogger } from '../../application/ports/logger';
import { authenticate } from './authentication';
import { clientKeyOf, throttleFailedAuthentication } from './authFailureThrottle';
import { errorMiddleware } from './errorMiddleware';
import { inProcessRateLimitCounter } from './rateLimitCounter';

/**
 * Failed authentications per client address. The app trusts X-Forwarded-For here, so one test
 * can speak from several addresses; in the service `req.ip` is the socket's address.
 */
const token = 'client-token-0123456789abcdef';
const limit = 3;

function appWithClock() {
  const clock = { now: 1_000_000 };
  const app = express();
  app.set('trust proxy', true);
  const throttled = throttleFailedAuthentication(authenticate([{ role: 'client', token }]), limit, () => clock.now);
  const context: express.RequestHandler = (_req, res, next) => {
    res.locals.context = { requestId: 'test' };
    next();
  };
  app.get('/', context, throttled, (_req, res) => {
    res.json({ ok: true });
  });
  app.use(errorMiddleware(silentLogger));
  return { app, clock };
}

const from = (app: express.Express, address: string, bearer = token) =>
  request(app).get('/').set('X-Forwarded-For', address).set('Authorization', `Bearer ${bearer}`);

describe('throttleFailedAuthentication', () => {
  it('after `limit` failures refuses every request from the address, a valid token included, with 429 and Retry-After', async () => {
    const { app } = appWithClock();
    for (let i = 0; i < limit; i++) expect((await from(app, '203.0.113.7', 'wrong-token')).status).toBe(401);
    for (const bearer of ['wrong-token', token]) {
      const refused = await from(app, '203.0.113.7', bearer);
      expect(refused.status).toBe(429);
      expect(refused.headers['retry-after']).toBe('60');
      expect(refused.body).toEqual({
        error: { code: 'RATE_LIMITED', message: expect.stringMatching(/more than 3 failed authentications/) },
      });
    }
  });

  it('never slows a client that authenticates correctly from another address', async () => {
    const { app } = appWithClock();
    for (let i = 0; i < limit + 5; i++) {
      await from(app, '203.0.113.7', 'wrong-token');
      expect((await from(app, '198.51.100.1')).status).toBe(200);
    }
    expect((await from(app, '203.0.113.7')).status).toBe(429);
  });

  it('does not count successful requests, nor let them reset the count', async () => {
    const { app } = appWithClock();
    for (let i = 0; i < limit - 1; i++) expect((await from(app, '203.0.113.7', 'wrong-token')).status).toBe(401);
    for (let i = 0; i < 10; i++) expect((await from(app, '203.0.113.7')).status).toBe(200);
    expect((await from(app, '203.0.113.7', 'wrong-token')).status).toBe(401);
    expect((await from(app, '203.0.113.7')).status).toBe(429);
  });

  it('counts a missing or non-Bearer Authorization as a failure', async () => {
    const { app } = appWithClock();
    await request(app).get('/').set('X-Forwarded-For', '203.0.113.7');
    await request(app).get('/').set('X-Forwarded-For', '203.0.113.7').set('Authorization', 'Basic dXNlcjpwYXNz');
    await from(app, '203.0.113.7', 'wrong-token');
    expect((await from(app, '203.0.113.7')).status).toBe(429);
  });

  it('lets the address in again once the window has passed, with a fresh count', async () => {
    const { app, clock } = appWithClock();
    for (let i = 0; i < limit; i++) await from(app, '203.0.113.7', 'wrong-token');
    clock.now += 30_000;
    const refused = await from(app, '203.0.113.7');
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('30');
    clock.now += 30_000;
    expect((await from(app, '203.0.113.7')).status).toBe(200);
    expect((await from(app, '203.0.113.7', 'wrong-token')).status).toBe(401);
  });

  it('counts the addresses of one IPv6 /64 together', async () => {
    const { app } = appWithClock();
    for (let i = 1; i <= limit; i++) await from(app, `2001:db8:1:2::${i}`, 'wrong-token');
    expect((await from(app, '2001:db8:1:2:ffff::9')).status).toBe(429);
    expect((await from(app, '2001:db8:1:3::1')).status).toBe(200);
  });
});

describe('throttleFailedAuthentication with a shared count', () => {
  // Two instances' throttles on one count, as with Redis; the in-process counter stands in for it.
  function twoInstances() {
    const shared = inProcessRateLimitCounter(60_000);
    return [0, 1].map(() => {
      const app = express();
      app.set('trust proxy', true);
      const throttled = throttleFailedAuthentication(
        authenticate([{ role: 'client', token }]),
        limit,
        Date.now,
        shared,
      );
      const context: express.RequestHandler = (_req, res, next) => {
        res.locals.context = { requestId: 'test' };
        next();
      };
      app.get('/', context, throttled, (_req, res) => void res.json({ ok: true }));
      app.use(errorMiddleware(silentLogger));
      return app;
    }) as [express.Express, express.Express];
  }

  it('refuses the address once its failures over both pass the limit: at once where counted, at its next failure elsewhere', async () => {
    const [first, second] = twoInstances();
    for (const app of [first, second, first]) expect((await from(app, '203.0.113.7', 'wrong-token')).status).toBe(401);
    expect((await from(first, '203.0.113.7')).status).toBe(429);
    expect((await from(second, '198.51.100.1')).status).toBe(200);
    const past = await from(second, '203.0.113.7', 'wrong-token');
    expect(past.status).toBe(429);
    expect(past.headers['retry-after']).toBe('60');
    expect((await from(second, '203.0.113.7')).status).toBe(429);
  });
});

describe('clientKeyOf', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['::1', '0:0:0:0::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:0DB8:0001:0002:aaaa:bbbb:cccc:dddd', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::1.2.3.4', '2001:db8:1:2::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    [undefined, 'unknown'],
  ])('%s → %s', (address, key) => {
    expect(clientKeyOf(address)).toBe(key);
  });
});
