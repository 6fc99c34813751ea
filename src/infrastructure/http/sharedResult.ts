/**
 * One result of `compute` for every caller during `maxAgeMs` from the start of its computation:
 * callers while it runs wait for it, later ones get it while it is that fresh. A failure is not
 * kept: the next caller computes again.
 */
export function sharedFor<T>(
  maxAgeMs: number,
  compute: () => Promise<T>,
  now: () => number = () => performance.now(),
): () => Promise<T> {
  let current: Readonly<{ startedAt: number; result: Promise<T> }> | undefined;
  return () => {
    const startedAt = now();
    if (current && startedAt - current.startedAt < maxAgeMs) return current.result;
    const entry = { startedAt, result: compute() };
    current = entry;
    entry.result.catch(() => {
      if (current === entry) current = undefined;
    });
    return entry.result;
  };
}
