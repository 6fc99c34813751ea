import { hash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { ApiToken, Role } from '../config/config';
import { ForbiddenError, UnauthorizedError } from './httpErrors';
import { contextOf, type Principal } from './requestContext';

/**
 * Bearer tokens from API_TOKENS. Tokens are compared as SHA-256 digests with timingSafeEqual
 * (equal lengths by construction), against every configured token without stopping early, so
 * the time taken says nothing about how close a guess was. The operator role may do whatever
 * the client role may.
 */
const digest = (token: string) => hash('sha256', token, 'buffer');

const grants: Readonly<Record<Role, readonly Role[]>> = { client: ['client'], operator: ['client', 'operator'] };

export function authenticate(tokens: readonly ApiToken[]): RequestHandler {
  // Each known token's principal is built once; a match hands out the same (frozen) object.
  const known = tokens.map(({ role, token }) => {
    const tokenDigest = digest(token);
    return { digest: tokenDigest, principal: Object.freeze({ role, tokenHash: tokenDigest.toString('hex') }) };
  });
  return (req, res, next) => {
    const header = req.get('authorization');
    const match = header ? /^Bearer[ ]+([^\s]+)\s*$/i.exec(header) : null;
    if (!match)
      return next(
        new UnauthorizedError(header ? 'the Authorization header is not a Bearer token' : 'no Authorization header'),
      );
    const offered = digest(match[1]!);
    let principal: Principal | undefined;
    for (const candidate of known) {
      if (timingSafeEqual(offered, candidate.digest) && principal === undefined) principal = candidate.principal;
    }
    if (!principal) return next(new UnauthorizedError('the bearer token is not one this service knows'));
    contextOf(res).principal = principal;
    next();
  };
}

export function authorize(role: Role): RequestHandler {
  return (_req, res, next) => {
    const principal = contextOf(res).principal;
    if (!principal) return next(new UnauthorizedError('no credentials'));
    if (!grants[principal.role].includes(role)) return next(new ForbiddenError(role));
    next();
  };
}
