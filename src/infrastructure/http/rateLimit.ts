import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { RateLimitedError } from './httpErrors';
import { contextOf } from './requestContext';

const windowMs = 60_000;
const windowSeconds = windowMs / 1000;

/**
 * Per token, not per address: many clients share a gateway, and one token is one caller. A fixed
 * window per token, announced in the IETF draft-8 headers (`RateLimit`, `RateLimit-Policy`) and
 * with `Retry-After` once exceeded: what express-rate-limit's memory store does, without its
 * per-request cost (a dozen awaits, a SHA-256 of the key, the client address parsed for a debug
 * line) on the hottest path of the API. Keys are the digests of configured tokens (this runs
 * after authentication), so the map stays as small as API_TOKENS.
 */
export function perTokenRateLimit(limitPerMinute: number): RequestHandler {
  const policyName = `"${limitPerMinute}-in-${windowSeconds / 60}min"`;
  const windows = new Map<string, { hits: number; resetAt: number; policy: string }>();
  return (_req, res, next) => {
    const key = contextOf(res).principal?.tokenHash ?? 'anonymous';
    const now = Date.now();
    let window = windows.get(key);
    if (!window) {
      const policy = `${policyName}; q=${limitPerMinute}; w=${windowSeconds}; pk=:${partitionKey(key)}:`;
      windows.set(key, (window = { hits: 0, resetAt: now + windowMs, policy }));
    } else if (window.resetAt <= now) {
      window.hits = 0;
      window.resetAt = now + windowMs;
    }
    window.hits++;
    const resetSeconds = Math.max(0, Math.ceil((window.resetAt - now) / 1000));
    res.setHeader('RateLimit', `${policyName}; r=${Math.max(limitPerMinute - window.hits, 0)}; t=${resetSeconds}`);
    res.setHeader('RateLimit-Policy', window.policy);
    if (window.hits <= limitPerMinute) return next();
    res.setHeader('Retry-After', String(resetSeconds));
    next(new RateLimitedError(limitPerMinute));
  };
}

/** The draft's partition key: names the quota's bucket without revealing the token digest. */
const partitionKey = (key: string) =>
  Buffer.from(createHash('sha256').update(key).digest('hex').slice(0, 12)).toString('base64');
