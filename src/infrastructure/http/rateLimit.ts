import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { RateLimitedError } from './httpErrors';
import { contextOf } from './requestContext';

/** Per token, not per address: many clients share a gateway, and one token is one caller. */
export function perTokenRateLimit(limitPerMinute: number): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: limitPerMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (_req, res) => contextOf(res).principal?.tokenHash ?? 'anonymous',
    handler: (_req, _res, next) => next(new RateLimitedError(limitPerMinute)),
    validate: { keyGeneratorIpFallback: false },
  });
}
