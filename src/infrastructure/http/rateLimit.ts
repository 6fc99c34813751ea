import { createHash } from 'node:crypto';
import type { Response, NextFunction, RequestHandler } from 'express';
import { RateLimitedError } from './httpErrors';
import { inProcessRateLimitCounter, type RateLimitCounter, type WindowCount } from './rateLimitCounter';
import { contextOf } from './requestContext';

export const rateLimitWindowMs = 60_000;
const windowSeconds = rateLimitWindowMs / 1000;

/**
 * Per token, not per address: many clients share a gateway, and one token is one caller. A fixed
 * window per token, announced in the IETF draft-8 headers (`RateLimit`, `RateLimit-Policy`) and
 * with `Retry-After` once exceeded: what express-rate-limit does, without its per-request cost
 * (a dozen awaits, a SHA-256 of the key, the client address parsed for a debug line) on the
 * hottest path of the API. Keys are the digests of configured tokens (this runs after
 * authentication), so the buckets are as few as API_TOKENS.
 *
 * `counter` keeps the windows: this process's own by default, or Redis's when every instance is
 * to share the count (REDIS_URL set).
 */
export function perTokenRateLimit(
  limitPerMinute: number,
  counter: RateLimitCounter = inProcessRateLimitCounter(rateLimitWindowMs),
): RequestHandler {
  const policyName = `"${limitPerMinute}-in-${windowSeconds / 60}min"`;
  const buckets = new Map<string, { name: string; policy: string }>();
  const answer = (res: Response, next: NextFunction, policy: string, { hits, resetInMs }: WindowCount) => {
    const resetSeconds = Math.max(0, Math.ceil(resetInMs / 1000));
    res.setHeader('RateLimit', `${policyName}; r=${Math.max(limitPerMinute - hits, 0)}; t=${resetSeconds}`);
    res.setHeader('RateLimit-Policy', policy);
    if (hits <= limitPerMinute) return next();
    res.setHeader('Retry-After', String(resetSeconds));
    next(new RateLimitedError(limitPerMinute));
  };
  return (_req, res, next) => {
    const key = contextOf(res).principal?.tokenHash ?? 'anonymous';
    let bucket = buckets.get(key);
    if (!bucket) {
      const name = partitionKey(key);
      const policy = `${policyName}; q=${limitPerMinute}; w=${windowSeconds}; pk=:${name}:`;
      buckets.set(key, (bucket = { name, policy }));
    }
    const policy = bucket.policy;
    const counted = counter.hit(bucket.name);
    if (counted instanceof Promise) counted.then((count) => answer(res, next, policy, count), next);
    else answer(res, next, policy, counted);
  };
}

/**
 * The draft's partition key: names the quota's bucket without revealing the token digest. It is
 * also the bucket's name where the count is kept (a Redis key), for the same reason.
 */
const partitionKey = (key: string) =>
  Buffer.from(createHash('sha256').update(key).digest('hex').slice(0, 12)).toString('base64');
