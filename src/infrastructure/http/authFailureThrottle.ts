import type { NextFunction, RequestHandler, Response } from 'express';
import { failureWindows } from './failureWindows';
import { AuthenticationThrottledError, UnauthorizedError } from './httpErrors';
import type { RateLimitCounter, WindowCount } from './rateLimitCounter';

export const authFailureWindowMs = 60_000;
/** Addresses tracked at once: some 10 MB at most. Past it the oldest windows are forgotten first. */
const maxTrackedAddresses = 100_000;

/**
 * The per-token rate limit counts only accepted tokens, so on its own guessing tokens would cost
 * nothing. This counts failed authentications per client address in a fixed one-minute window;
 * past `failuresPerMinute`, every request from that address gets 429 with Retry-After until the
 * window ends, a valid token included (else a 429 would mean "wrong guess" and a 200 "right
 * guess", and the guessing would go on). Successful requests do not count, and other addresses
 * are not affected.
 *
 * On the hot path, while no address has failed in the last minute, this costs one clock read and
 * one comparison: the address is looked up only once some window is live.
 *
 * The address is express's `req.ip`: the socket's, or the client's from X-Forwarded-For where the
 * app trusts a proxy.
 *
 * With `shared` (Redis, REDIS_URL set), a failure is counted there, for every instance, and this
 * process takes the shared count and window as its own: an address is refused by each instance
 * once it has failed past the limit over all of them, at the latest at its first failure there
 * after that (so N instances allow at most `failuresPerMinute + N - 1` guesses a minute, rather
 * than N times as many); a failure past the limit over every instance is itself answered 429.
 * Only failures pay the round trip: the hot path stays the local lookup.
 */
export function throttleFailedAuthentication(
  authenticate: RequestHandler,
  failuresPerMinute: number,
  now: () => number = Date.now,
  shared?: RateLimitCounter,
): RequestHandler {
  const failures = failureWindows({
    limit: failuresPerMinute,
    windowMs: authFailureWindowMs,
    maxKeys: maxTrackedAddresses,
  });
  const refuse = (res: Response, next: NextFunction, retryAfterSeconds: number) => {
    res.setHeader('Retry-After', String(retryAfterSeconds));
    next(new AuthenticationThrottledError(failuresPerMinute));
  };
  /** Counts a failure in Redis; one past the limit over every instance is refused like the next ones. */
  const recordShared = (
    counter: RateLimitCounter,
    res: Response,
    next: NextFunction,
    address: string,
    failure: unknown,
  ) => {
    const take = ({ hits, resetInMs }: WindowCount) => {
      const time = now();
      failures.recordCount(address, hits, time + resetInMs, time);
      if (hits > failuresPerMinute) refuse(res, next, Math.max(1, Math.ceil(resetInMs / 1000)));
      else next(failure);
    };
    const counted = counter.hit(address);
    if (counted instanceof Promise) counted.then(take, next);
    else take(counted);
  };
  return (req, res, next) => {
    const time = now();
    if (failures.active(time)) {
      const retryAfter = failures.retryAfterSeconds(clientKeyOf(req.ip), time);
      if (retryAfter !== undefined) return refuse(res, next, retryAfter);
    }
    authenticate(req, res, (error?: unknown) => {
      if (!(error instanceof UnauthorizedError)) return next(error);
      if (shared) return recordShared(shared, res, next, clientKeyOf(req.ip), error);
      failures.recordFailure(clientKeyOf(req.ip), time);
      next(error);
    });
  };
}

/**
 * The key a client's failures are counted under. An IPv6 client is handed a whole /64 (and
 * picking another address in it is free), so IPv6 addresses count by their /64; an IPv4-mapped
 * IPv6 address counts as the IPv4 address it is.
 */
export function clientKeyOf(address: string | undefined): string {
  if (!address) return 'unknown';
  if (!address.includes(':')) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  return `${ipv6Groups(address).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, as lower-case hex without leading zeros. */
function ipv6Groups(address: string): string[] {
  const [head = '', tail] = address.split('%')[0]!.split('::');
  // A dotted IPv4 tail (::1.2.3.4) fills the last two groups.
  const groups = (part: string) =>
    part ? part.split(':').flatMap((group) => (group.includes('.') ? ['0', '0'] : [group])) : [];
  const first = groups(head);
  const last = tail === undefined ? [] : groups(tail);
  const all = [...first, ...Array<string>(Math.max(0, 8 - first.length - last.length)).fill('0'), ...last];
  return all.map((group) => (Number.parseInt(group, 16) || 0).toString(16));
}
