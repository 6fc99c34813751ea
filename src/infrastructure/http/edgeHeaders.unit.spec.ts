import express, { type RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import request from 'supertest';
import { errorMiddleware } from './errorMiddleware';
import { perTokenRateLimit } from './rateLimit';
import { contextOf } from './requestContext';
import { securityHeaders } from './securityHeaders';
import { silentLogger } from '../../application/ports/logger';

/**
 * The hand-written edge middlewares must answer exactly as the libraries they replace on the hot
 * path: helmet's defaults, and express-rate-limit's draft-8 headers with its memory store.
 */
const asPrincipal =
  (tokenHash: string): RequestHandler =>
  (_req, res, next) => {
    res.locals.context = { requestId: 'test', principal: { role: 'client', tokenHash } };
    next();
  };

function appWith(...middlewares: RequestHandler[]) {
  const app = express();
  app.disable('x-powered-by');
  app.get('/', ...middlewares, (_req, res) => {
    res.json({ ok: true });
  });
  app.use(errorMiddleware(silentLogger));
  return app;
}

const headersOf = (response: request.Response, except: readonly string[]) =>
  Object.fromEntries(Object.entries(response.headers).filter(([name]) => !except.includes(name)));

describe('securityHeaders', () => {
  it('sets the very headers helmet() sets', async () => {
    const ours = await request(appWith(securityHeaders())).get('/');
    const helmets = await request(appWith(helmet())).get('/');
    const varying = ['date', 'etag'];
    expect(headersOf(ours, varying)).toEqual(headersOf(helmets, varying));
    expect(ours.headers['content-security-policy']).toContain("default-src 'self'");
  });
});

describe('perTokenRateLimit', () => {
  const limit = 3;
  const library = (): RequestHandler =>
    rateLimit({
      windowMs: 60_000,
      limit,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      keyGenerator: (_req, res) => contextOf(res).principal?.tokenHash ?? 'anonymous',
      handler: (_req, res) => void res.status(429).json({}),
      validate: { keyGeneratorIpFallback: false },
    });

  it('counts per token and announces the same draft-8 headers as express-rate-limit', async () => {
    const sharedLimiter = perTokenRateLimit(limit);
    const oursA = appWith(asPrincipal('aaaa'), sharedLimiter);
    const oursB = appWith(asPrincipal('bbbb'), sharedLimiter);
    const theirLimiter = library();
    const theirsA = appWith(asPrincipal('aaaa'), theirLimiter);

    for (let i = 1; i <= limit + 1; i++) {
      const mine = await request(oursA).get('/');
      const theirs = await request(theirsA).get('/');
      expect(mine.headers['ratelimit-policy']).toBe(theirs.headers['ratelimit-policy']);
      const [mineRemaining, mineReset] = remainingAndReset(mine.headers.ratelimit);
      const [theirRemaining, theirReset] = remainingAndReset(theirs.headers.ratelimit);
      expect(mineRemaining).toBe(theirRemaining);
      expect(Math.abs(mineReset - theirReset)).toBeLessThanOrEqual(1);
      expect(mine.status === 429).toBe(i > limit);
      expect(theirs.status === 429).toBe(i > limit);
      if (i > limit) {
        expect(mine.body.error.code).toBe('RATE_LIMITED');
        expect(Number(mine.headers['retry-after'])).toBeGreaterThanOrEqual(59);
      }
    }
    // Another token has a quota of its own.
    const other = await request(oursB).get('/');
    expect(other.status).toBe(200);
    expect(remainingAndReset(other.headers.ratelimit)[0]).toBe(limit - 1);
  });
});

function remainingAndReset(header: string | undefined): [number, number] {
  const match = /^"3-in-1min"; r=(\d+); t=(\d+)$/.exec(header ?? '');
  if (!match) throw new Error(`unexpected RateLimit header: ${header}`);
  return [Number(match[1]), Number(match[2])];
}
