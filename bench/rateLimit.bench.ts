/**
 * What sharing the per-token rate limit through Redis costs a request: the HTTP API alone (as
 * `serve` runs it, on SQLite) without REDIS_URL (the limit counted in process) and with it (one
 * EVALSHA per request to Redis at TEST_REDIS_URL, under a prefix of this run's own), under the
 * same fixed load in turns: server CPU per request, p50 and p99. Then the limiter alone, one hit
 * at a time (each awaited, so the wall time is Redis's round trip): µs of wall time and of this
 * process's CPU per hit.
 *
 *   npx tsx bench/rateLimit.bench.ts
 *
 * RATE: offered req/s (default 250). DURATION: seconds per server and route, split over 3 turns
 * (default 15). Redis's own CPU is not counted: the bench Redis is shared with other work.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { silentLogger } from '../src/application/ports/logger';
import { buildService, type Service } from '../src/infrastructure/app/buildService';
import { loadConfig } from '../src/infrastructure/config/config';
import { databaseLocations, migrateAll } from '../src/infrastructure/database/databases';
import { inProcessRateLimitCounter, type RateLimitCounter } from '../src/infrastructure/http/rateLimitCounter';
import { rateLimitRedisOptions, redisRateLimitCounter } from '../src/infrastructure/http/redisRateLimitCounter';
import { createMetrics } from '../src/infrastructure/observability/metrics';
import { testRedisUrl, uniqueRedisPrefix } from '../src/testing/testServices';
import { orderBody } from './support/sagaLog';
import { measureInTurns, type LoadOptions } from './support/serverCpu';
import { runBench } from './support/benchMain';

const rate = Number(process.env.RATE ?? 250);
const duration = Number(process.env.DURATION ?? 15);
const clientToken = 'bench-client-token-0123456789';
const authorization = `Bearer ${clientToken}`;
const routes: readonly (readonly [string, LoadOptions])[] = [
  ['GET /sagas?limit=1', { path: '/sagas?limit=1', headers: { authorization } }],
  [
    'POST /orders',
    {
      path: '/orders',
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: orderBody,
    },
  ],
];

async function startServing(folder: string, name: string, env: Record<string, string>): Promise<[Service, Server]> {
  const config = loadConfig({
    DATABASE_URL: `sqlite:${join(folder, `${name}.sqlite`)}`,
    DATA_DIR: folder,
    API_TOKENS: `client:${clientToken}`,
    LOG_LEVEL: 'silent',
    RATE_LIMIT_PER_MINUTE: '10000000',
    ...env,
  });
  await migrateAll(databaseLocations(config.databaseUrl));
  const service = buildService(config, { logger: silentLogger, metrics: createMetrics({ defaultMetrics: false }) });
  return [service, await service.serve(0)];
}

const HITS = 20_000;

async function limiterAlone() {
  const redis = new Redis(testRedisUrl, rateLimitRedisOptions);
  let fallbacks = 0;
  const counters: readonly (readonly [string, RateLimitCounter])[] = [
    ['in process', inProcessRateLimitCounter(60_000)],
    [
      'in Redis',
      redisRateLimitCounter({
        redis,
        prefix: uniqueRedisPrefix('bench-ratelimit'),
        name: 'rate-limit',
        windowMs: 60_000,
        fallback: inProcessRateLimitCounter(60_000),
        logger: silentLogger,
        onFallback: () => void fallbacks++,
      }),
    ],
  ];
  try {
    for (const [label, counter] of counters) {
      for (let i = 0; i < 2000; i++) await counter.hit('warm-up');
      const cpuBefore = process.cpuUsage();
      const startedAt = process.hrtime.bigint();
      for (let i = 0; i < HITS; i++) await counter.hit('bucket');
      const wallMicros = Number(process.hrtime.bigint() - startedAt) / 1000 / HITS;
      const cpu = process.cpuUsage(cpuBefore);
      console.log(
        `limiter alone, ${label.padEnd(10)} ${wallMicros.toFixed(1).padStart(6)} µs wall/hit  ${((cpu.user + cpu.system) / HITS).toFixed(1).padStart(5)} µs CPU/hit  (${HITS} hits one at a time; counted in process for want of Redis: ${fallbacks})`,
      );
    }
  } finally {
    redis.disconnect();
  }
}

async function main() {
  const folder = mkdtempSync(join(tmpdir(), 'rate-limit-cost-'));
  const services: Service[] = [];
  try {
    const [local, localServer] = await startServing(folder, 'local', {});
    services.push(local);
    const [shared, sharedServer] = await startServing(folder, 'shared', {
      REDIS_URL: testRedisUrl,
      QUEUE_PREFIX: uniqueRedisPrefix('bench-ratelimit'),
    });
    services.push(shared);
    for (const [route, options] of routes) {
      const load = { connections: 20, duration, ...(rate > 0 ? { overallRate: rate } : {}), ...options };
      const [inProcess, inRedis] = await measureInTurns([localServer, sharedServer], load, 3);
      for (const [label, figures] of [
        ['in process', inProcess!],
        ['in Redis', inRedis!],
      ] as const) {
        console.log(
          `${route.padEnd(20)} limit ${label.padEnd(10)} ${figures.cpuMicrosPerRequest.toFixed(0).padStart(5)} µs CPU/req  ${figures.requestsPerSecond.toFixed(0).padStart(5)} req/s  p50 ${figures.p50} ms  p99 ${figures.p99} ms  non-2xx ${figures.non2xx}  errors ${figures.errors}`,
        );
      }
      const fallbacks = (await shared.metrics.rateLimitFallbacks.get()).values.find(
        ({ labels }) => labels.limit === 'per_token',
      )?.value;
      console.log(
        `${route.padEnd(20)} added by Redis: ${(inRedis!.cpuMicrosPerRequest - inProcess!.cpuMicrosPerRequest).toFixed(0)} µs CPU/req, p50 ${(inRedis!.p50 - inProcess!.p50).toFixed(2)} ms; requests counted in process meanwhile: ${fallbacks}`,
      );
    }
    await limiterAlone();
  } finally {
    for (const service of services) await service.close();
    rmSync(folder, { recursive: true, force: true });
  }
}

runBench(async () => {
  await main();
  return 0;
});
