import type { Redis, RedisOptions } from 'ioredis';
import type { Logger } from '../../application/ports/logger';
import type { RateLimitCounter, WindowCount } from './rateLimitCounter';

/**
 * One hit, atomically, in one round trip: count it, and start the window's expiry on its first
 * hit (or on a key that lost its expiry), so that Redis ends every window on its own and no
 * instance's clock is involved. Answers the hits and the milliseconds the window has left.
 */
const hitScript = `
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {hits, ttl}`;

/** The longest a request waits for Redis's count before it is counted in this process instead. */
export const sharedCountTimeoutMs = 200;
/** After Redis failed to answer, requests are counted in process without asking it for this long. */
export const sharedCountRetryAfterMs = 1_000;

/**
 * The limiter's own connection. A command waits for the connection only while it is being
 * (re)established, and never longer than `sharedCountTimeoutMs`; a reconnection attempt that
 * fails rejects the commands waiting for it at once.
 */
export const rateLimitRedisOptions: RedisOptions = {
  commandTimeout: sharedCountTimeoutMs,
  connectTimeout: 1_000,
  maxRetriesPerRequest: 0,
  connectionName: 'fulfillment-rate-limit',
};

/** Connection states in which a command is sent, or waits (bounded) for the connection to be made. */
const answering = new Set(['ready', 'connect', 'connecting', 'wait']);

type ScriptedRedis = Redis & { rateLimitHit(key: string, windowMs: number): Promise<[number, number]> };

export type RedisRateLimitCounterOptions = Readonly<{
  redis: Redis;
  /** The deployment's key prefix (QUEUE_PREFIX): instances with the same prefix share counts. */
  prefix: string;
  /** What is counted, in keys and log lines: `rate-limit` (per token), `auth-failures` (per address). */
  name: string;
  windowMs: number;
  /** Counts while Redis cannot: this process's own windows. */
  fallback: RateLimitCounter;
  logger: Logger;
  /** Called for each request counted by the fallback (a metric). */
  onFallback: () => void;
  now?: () => number;
}>;

/**
 * Fixed windows in Redis under `<prefix>:<name>:<bucket>`, shared by every instance on that Redis
 * and prefix: the per-token rate limit's, and the failed authentications per client address.
 *
 * When Redis is away or does not answer in time, the request is counted by `fallback` instead:
 * the API stays up and each process still limits on its own, as without REDIS_URL. Failing closed
 * would turn an outage of the limiter's store into an outage of the API; failing open with no
 * limit at all would drop the protection exactly when something is already wrong. While Redis is
 * known to be away (its connection down, or a timeout in the last `sharedCountRetryAfterMs`),
 * requests do not wait for it at all. The first request counted in process logs a warning, the
 * first shared count after it an info line; each counts in `onFallback`.
 */
export function redisRateLimitCounter(options: RedisRateLimitCounterOptions): RateLimitCounter {
  const { prefix, name, windowMs, fallback, logger, onFallback, now = Date.now } = options;
  const redis = options.redis as ScriptedRedis;
  if (typeof redis.rateLimitHit !== 'function')
    redis.defineCommand('rateLimitHit', { numberOfKeys: 1, lua: hitScript });
  let sharing = true;
  let askAgainAt = 0;

  const countHere = (bucket: string, error?: unknown) => {
    if (sharing) {
      sharing = false;
      logger.warn(
        { err: error ?? new Error(`the Redis connection is ${redis.status}`), prefix },
        `${name}: Redis is not answering, so each process counts on its own until it does (the limit holds per process meanwhile); check REDIS_URL and that Redis is up`,
      );
    }
    onFallback();
    return fallback.hit(bucket);
  };
  const shared = ([hits, resetInMs]: [number, number]): WindowCount => {
    if (!sharing) {
      sharing = true;
      logger.info({ prefix }, `${name}: counting in Redis again, shared by every instance`);
    }
    return { hits, resetInMs };
  };

  return {
    hit(bucket) {
      if (!answering.has(redis.status) || (askAgainAt > 0 && now() < askAgainAt)) return countHere(bucket);
      return redis.rateLimitHit(`${prefix}:${name}:${bucket}`, windowMs).then(shared, (error: unknown) => {
        askAgainAt = now() + sharedCountRetryAfterMs;
        return countHere(bucket, error);
      });
    },
  };
}
