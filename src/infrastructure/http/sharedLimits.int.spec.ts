import { createServer, type Server, type Socket } from 'node:net';
import express, { type RequestHandler } from 'express';
import { Redis } from 'ioredis';
import request from 'supertest';
import { silentLogger, type Logger } from '../../application/ports/logger';
import { startTestService, testTokens, type TestService } from '../app/testing/testService';
import { freePort } from '../../testing/freePort';
import { testRedisUrl, uniqueRedisPrefix } from '../../testing/testServices';
import { errorMiddleware } from './errorMiddleware';
import { perTokenRateLimit } from './rateLimit';
import { inProcessRateLimitCounter } from './rateLimitCounter';
import { rateLimitRedisOptions, redisRateLimitCounter, sharedCountTimeoutMs } from './redisRateLimitCounter';

/**
 * With REDIS_URL, every `serve` instance on the same Redis and QUEUE_PREFIX shares each token's
 * rate limit and each address's failed authentications; without it each process counts on its own; and when Redis does not answer, each
 * process counts on its own again, within a bounded wait. Real Redis, a prefix of this run's own.
 */
const limit = 4;
const client = `Bearer ${testTokens.client}`;
const started: TestService[] = [];
const connections: Redis[] = [];

const startService = async (env: Record<string, string>) => {
  const harness = await startTestService('sqlite', { RATE_LIMIT_PER_MINUTE: String(limit), ...env });
  started.push(harness);
  return harness.service.createHttpApp();
};
const connect = (url = testRedisUrl) => {
  // A socket that never connected is destroyed after disconnectTimeout: soon, so that jest can exit.
  const redis = new Redis(url, { ...rateLimitRedisOptions, disconnectTimeout: 10 });
  redis.on('error', () => undefined);
  connections.push(redis);
  return redis;
};
const listSagas = (app: express.Express) => request(app).get('/sagas').set('Authorization', client);

afterAll(async () => {
  for (const redis of connections) redis.disconnect();
  await Promise.all(started.map((harness) => harness.dispose()));
});

describe('the per-token rate limit with REDIS_URL', () => {
  it('is shared by two service instances on one prefix: requests spread over both stop at the limit', async () => {
    const prefix = uniqueRedisPrefix('ratelimit');
    const shared = { REDIS_URL: testRedisUrl, QUEUE_PREFIX: prefix };
    const [first, second] = [await startService(shared), await startService(shared)];
    for (let i = 1; i <= limit; i++) {
      const answer = await listSagas(i % 2 ? first : second);
      expect(answer.status).toBe(200);
      expect(answer.headers.ratelimit).toMatch(new RegExp(`; r=${limit - i}; t=(59|60)$`));
    }
    for (const app of [first, second]) {
      const refused = await listSagas(app);
      expect(refused.status).toBe(429);
      expect(refused.headers['content-type']).toMatch(/^application\/json/);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(58);
      expect(refused.body).toEqual({ error: { code: 'RATE_LIMITED', message: expect.any(String) } });
    }

    // The window is one Redis key under the prefix that expires on its own.
    const redis = connect();
    const keys = await redis.keys(`${prefix}:rate-limit:*`);
    expect(keys).toHaveLength(1);
    expect(await redis.pttl(keys[0]!)).toBeGreaterThan(55_000);
    expect(await redis.pttl(keys[0]!)).toBeLessThanOrEqual(60_000);

    // Every count was shared: none fell back to this process's own.
    expect((await request(first).get('/metrics')).text).toMatch(
      /^fulfillment_rate_limit_fallbacks_total\{limit="per_token"\} 0$/m,
    );

    // Another deployment (another prefix) on the same Redis has counts of its own.
    const elsewhere = await startService({ REDIS_URL: testRedisUrl, QUEUE_PREFIX: uniqueRedisPrefix('ratelimit') });
    expect((await listSagas(elsewhere)).status).toBe(200);
  });

  it('lets the token through again once Redis has ended the window, for every instance', async () => {
    const prefix = uniqueRedisPrefix('ratelimit-window');
    const windowMs = 700;
    // Two instances: a connection and a limiter each, one short window in Redis.
    const [first, second] = [0, 1].map(() =>
      appWith(
        perTokenRateLimit(
          limit,
          redisRateLimitCounter({
            redis: connect(),
            prefix,
            name: 'rate-limit',
            windowMs,
            fallback: inProcessRateLimitCounter(windowMs),
            logger: silentLogger,
            onFallback: () => {
              throw new Error('Redis answered: nothing should be counted in process');
            },
          }),
        ),
      ),
    ) as [express.Express, express.Express];
    for (let i = 1; i <= limit; i++) expect((await request(i % 2 ? first : second).get('/')).status).toBe(200);
    const refused = await request(second).get('/');
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    await new Promise((resolve) => setTimeout(resolve, windowMs + 100));
    expect((await request(first).get('/')).status).toBe(200);
    expect((await request(second).get('/')).headers.ratelimit).toMatch(new RegExp(`; r=${limit - 2}; t=1$`));
  });
});

describe('the failed-authentication throttle with REDIS_URL', () => {
  it('counts an address’s failures over every instance on the prefix, and each refuses it by its next request', async () => {
    const prefix = uniqueRedisPrefix('authfailures');
    const shared = { REDIS_URL: testRedisUrl, QUEUE_PREFIX: prefix, AUTH_FAILURES_PER_MINUTE: '3' };
    const [first, second] = [await startService(shared), await startService(shared)];
    const guess = (app: express.Express, i: number) =>
      request(app).get('/sagas').set('Authorization', `Bearer guess-${i}-0123456789abcdef`);
    // Three failures spread over both: the limit, counted once.
    for (const [i, app] of [first, second, first].entries()) expect((await guess(app, i)).status).toBe(401);
    // The instance that counted the third refuses the address at once, a valid token included.
    const refused = await listSagas(first);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(58);
    expect(refused.body).toEqual({
      error: { code: 'RATE_LIMITED', message: expect.stringMatching(/failed authentications from this address/) },
    });
    // The other refuses the fourth failure over both with 429 too, and from then on every request.
    expect((await guess(second, 3)).status).toBe(429);
    expect((await listSagas(second)).status).toBe(429);

    const redis = connect();
    expect(await redis.get(`${prefix}:auth-failures:127.0.0.1`)).toBe('4');
    expect(await redis.pttl(`${prefix}:auth-failures:127.0.0.1`)).toBeGreaterThan(55_000);
    // Another prefix has counts of its own.
    const elsewhere = await startService({ ...shared, QUEUE_PREFIX: uniqueRedisPrefix('authfailures') });
    expect((await listSagas(elsewhere)).status).toBe(200);
  });
});

describe('the per-token rate limit without REDIS_URL (the embedded default)', () => {
  it('counts in each process: one instance past its limit does not hold back another', async () => {
    const [first, second] = [await startService({}), await startService({})];
    for (let i = 1; i <= limit; i++) expect((await listSagas(first)).status).toBe(200);
    expect((await listSagas(first)).status).toBe(429);
    expect((await listSagas(second)).status).toBe(200);
  });
});

describe('the per-token rate limit when Redis does not answer', () => {
  const limiterOn = (redis: Redis) => {
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (_fields, message) => void warnings.push(message ?? '') };
    let fallbacks = 0;
    const app = appWith(
      perTokenRateLimit(
        limit,
        redisRateLimitCounter({
          redis,
          prefix: uniqueRedisPrefix('ratelimit-away'),
          name: 'rate-limit',
          windowMs: 60_000,
          fallback: inProcessRateLimitCounter(60_000),
          logger,
          onFallback: () => void fallbacks++,
        }),
      ),
    );
    return { app, warnings, fallbacks: () => fallbacks };
  };

  it('fails open to a per-process count at once when Redis refuses connections, with one warning and a metric per request', async () => {
    const { app, warnings, fallbacks } = limiterOn(connect(`redis://127.0.0.1:${await freePort()}`));
    const startedAt = Date.now();
    for (let i = 1; i <= limit; i++) expect((await request(app).get('/')).status).toBe(200);
    const refused = await request(app).get('/');
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('RATE_LIMITED');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(59);
    expect(Date.now() - startedAt).toBeLessThan(1000);
    expect(fallbacks()).toBe(limit + 1);
    expect(warnings).toEqual([expect.stringMatching(/Redis is not answering.*check REDIS_URL/)]);
  });

  it('holds a request no longer than the command timeout when Redis accepts the connection but never answers, and the next ones not at all', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as { port: number };
      const { app, fallbacks } = limiterOn(connect(`redis://127.0.0.1:${port}`));
      const timed = async () => {
        const startedAt = Date.now();
        expect((await request(app).get('/')).status).toBe(200);
        return Date.now() - startedAt;
      };
      const first = await timed();
      expect(first).toBeGreaterThanOrEqual(sharedCountTimeoutMs - 10);
      expect(first).toBeLessThan(sharedCountTimeoutMs + 500);
      expect(await timed()).toBeLessThan(100);
      expect(fallbacks()).toBe(2);
      expect(sockets.size).toBe(1);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

const asPrincipal: RequestHandler = (_req, res, next) => {
  res.locals.context = { requestId: 'test', principal: { role: 'client', tokenHash: 'a-token-digest' } };
  next();
};

function appWith(limiter: RequestHandler) {
  const app = express();
  app.get('/', asPrincipal, limiter, (_req, res) => void res.json({ ok: true }));
  app.use(errorMiddleware(silentLogger));
  return app;
}
