import { useEffect, useRef, useState } from 'preact/hooks';

/** How often the console asks again; each ask is a conditional GET (apiClient.ts). */
export const pollIntervalMs = 2000;

export type Polled<T> = Readonly<{
  data: T | undefined;
  error: unknown;
  /** Ask now, without waiting for the next tick (after an action, say). */
  refresh(): void;
}>;

/**
 * Live data by conditional polling: `load` runs at once, then every `intervalMs` while the tab is
 * visible, and again whenever `key` changes. A 304 (nothing changed) gives the same object as the
 * last answer (apiClient.ts), which Preact does not render again.
 * Polling rather than server-sent events: a browser's EventSource cannot send the Authorization
 * header, and a poll is one ordinary request that auth, the rate limit and the error shape cover.
 */
export function usePoll<T>(key: string, load: () => Promise<T>, intervalMs = pollIntervalMs): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    setData(undefined);
    setError(undefined);
  }, [key]);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      if (document.visibilityState !== 'hidden') {
        try {
          const loaded = await loadRef.current();
          if (stopped) return;
          setData(() => loaded);
          setError(undefined);
        } catch (failure) {
          if (!stopped) setError(failure);
        }
      }
      if (!stopped) timer = setTimeout(() => void run(), intervalMs);
    };
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [key, tick, intervalMs]);

  return { data, error, refresh: () => setTick((n) => n + 1) };
}
