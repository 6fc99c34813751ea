import { createHash } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ValidationError } from '../../application/commands/fulfillmentErrors';
import { IdempotencyKeyReusedError, IdempotencyRequestInProgressError } from './httpErrors';
import type { IdempotencyStore } from './idempotencyStore';
import { contextOf } from './requestContext';

/**
 * `Idempotency-Key` on a command route: a retry of the same request (same caller, method, path
 * and body) gets the first response and appends nothing; the same key with another request is a
 * 422. Responses below 500 are kept (a rejected request stays rejected); a 5xx frees the key so
 * that a retry runs again.
 */
const keyPattern = /^[\x21-\x7e]{1,200}$/;

export function idempotency(store: IdempotencyStore): RequestHandler {
  // Most commands come without a key: they pass on at once, without an async step.
  return (req, res, next) => {
    const key = req.get('idempotency-key');
    if (key === undefined) return next();
    return claimOrReplay(store, key, req, res, next);
  };
}

async function claimOrReplay(
  store: IdempotencyStore,
  key: string,
  req: Request,
  res: Response,
  next: NextFunction,
): Promise<void> {
  if (!keyPattern.test(key)) {
    throw new ValidationError('Idempotency-Key must be 1 to 200 printable ASCII characters, e.g. a UUID', [
      { path: ['Idempotency-Key'], message: 'invalid header' },
    ]);
  }
  const context = contextOf(res);
  const keyHash = sha256(`${context.principal?.tokenHash ?? ''}\n${key}`);
  const requestHash = sha256(`${req.method} ${req.originalUrl}\n${canonicalJson(req.body ?? null)}`);
  const claim = await store.claim(keyHash, requestHash);
  switch (claim.kind) {
    case 'mismatch':
      throw new IdempotencyKeyReusedError();
    case 'inProgress':
      throw new IdempotencyRequestInProgressError();
    case 'replay':
      res.set('Idempotent-Replayed', 'true').status(claim.status).json(claim.body);
      return;
    case 'claimed':
      break;
  }
  context.idempotencyKey = key;
  context.idempotencyKeyHash = keyHash;
  // The response is stored before it is sent, so a retry can never overtake it.
  const send = res.json.bind(res);
  res.json = (body: unknown) => {
    const settle = res.statusCode >= 500 ? store.release(keyHash) : store.complete(keyHash, res.statusCode, body);
    settle.then(
      () => send(body),
      (error: unknown) => {
        res.json = send;
        next(error);
      },
    );
    return res;
  };
  next();
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** JSON with object keys sorted, so that key order does not make two equal bodies differ. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
