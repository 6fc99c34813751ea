/**
 * Where the per-token rate limit counts its fixed windows: in this process (the embedded
 * default), or in Redis so that every `serve` instance shares one count (redisRateLimitCounter.ts).
 */
export type WindowCount = Readonly<{ hits: number; resetInMs: number }>;

export interface RateLimitCounter {
  /**
   * Counts one request under `bucket` and answers the hits in its current window, this one
   * included, and the time until the window ends. Synchronous in process (no await on the hot
   * path); a promise, which never rejects, when the count is shared.
   */
  hit(bucket: string): WindowCount | Promise<WindowCount>;
}

/** Fixed windows in a Map: as small as API_TOKENS, since buckets are those of configured tokens. */
export function inProcessRateLimitCounter(windowMs: number, now: () => number = Date.now): RateLimitCounter {
  const windows = new Map<string, { hits: number; resetAt: number }>();
  return {
    hit(bucket) {
      const time = now();
      let window = windows.get(bucket);
      if (!window) windows.set(bucket, (window = { hits: 0, resetAt: time + windowMs }));
      else if (window.resetAt <= time) {
        window.hits = 0;
        window.resetAt = time + windowMs;
      }
      window.hits++;
      return { hits: window.hits, resetInMs: window.resetAt - time };
    },
  };
}
