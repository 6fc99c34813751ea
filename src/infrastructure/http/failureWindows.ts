/**
 * Failures counted per key in fixed windows, in bounded memory: what the failed-authentication
 * throttle keeps per client address. Every window is equally long and a window that restarts is
 * re-inserted, so the Map's insertion order is the order windows end in: expired windows, and when
 * the map is full the oldest live ones, are always at its front, and dropping them never scans
 * the rest.
 */
export type FailureWindows = Readonly<{
  /** Whether any key has a live window (false: no key can be over its limit, skip the lookup). */
  active(now: number): boolean;
  /** Seconds until `key` may try again once it has used up its failures; undefined while it may. */
  retryAfterSeconds(key: string, now: number): number | undefined;
  recordFailure(key: string, now: number): void;
  /** Takes a key's window as a store shared by every instance counts it (failures so far, end). */
  recordCount(key: string, failures: number, endsAt: number, now: number): void;
  /** Keys held, expired ones not yet dropped included. */
  size(): number;
}>;

export type FailureWindowsOptions = Readonly<{ limit: number; windowMs: number; maxKeys: number }>;

export function failureWindows({ limit, windowMs, maxKeys }: FailureWindowsOptions): FailureWindows {
  const windows = new Map<string, { failures: number; endsAt: number }>();
  let oldestEndsAt = Infinity;

  const dropExpiredAndOverflow = (now: number) => {
    for (const [key, window] of windows) {
      if (window.endsAt > now && windows.size < maxKeys) break;
      windows.delete(key);
    }
    oldestEndsAt = windows.values().next().value?.endsAt ?? Infinity;
  };

  return {
    active: (now) => {
      if (now >= oldestEndsAt) dropExpiredAndOverflow(now);
      return windows.size > 0;
    },
    retryAfterSeconds: (key, now) => {
      const window = windows.get(key);
      if (!window || window.failures < limit || window.endsAt <= now) return undefined;
      return Math.max(1, Math.ceil((window.endsAt - now) / 1000));
    },
    recordFailure: (key, now) => {
      const window = windows.get(key);
      if (window && window.endsAt > now) {
        window.failures++;
        return;
      }
      windows.delete(key);
      dropExpiredAndOverflow(now);
      windows.set(key, { failures: 1, endsAt: now + windowMs });
      if (windows.size === 1) oldestEndsAt = now + windowMs;
    },
    recordCount: (key, failures, endsAt, now) => {
      windows.delete(key);
      dropExpiredAndOverflow(now);
      // A shared window started where the first failure was counted, maybe before others held here:
      // it may end before them, so the front of the map is no longer always the first to end. That
      // only keeps an ended window a little longer; every lookup checks `endsAt`.
      windows.set(key, { failures, endsAt });
      oldestEndsAt = Math.min(oldestEndsAt, endsAt);
    },
    size: () => windows.size,
  };
}
