import { failureWindows } from './failureWindows';

const windowMs = 60_000;

describe('failureWindows', () => {
  it('lets a key fail `limit` times, then reports when its window ends', () => {
    const windows = failureWindows({ limit: 3, windowMs, maxKeys: 10 });
    for (let i = 0; i < 3; i++) {
      expect(windows.retryAfterSeconds('a', 1_000)).toBeUndefined();
      windows.recordFailure('a', 1_000);
    }
    expect(windows.retryAfterSeconds('a', 1_000)).toBe(60);
    expect(windows.retryAfterSeconds('a', 30_500)).toBe(31);
    expect(windows.retryAfterSeconds('b', 30_500)).toBeUndefined();
  });

  it('forgets a key’s failures once its window has passed', () => {
    const windows = failureWindows({ limit: 2, windowMs, maxKeys: 10 });
    windows.recordFailure('a', 0);
    windows.recordFailure('a', 0);
    expect(windows.retryAfterSeconds('a', windowMs - 1)).toBe(1);
    expect(windows.retryAfterSeconds('a', windowMs)).toBeUndefined();
    windows.recordFailure('a', windowMs);
    expect(windows.retryAfterSeconds('a', windowMs)).toBeUndefined();
  });

  it('is inactive until a failure, and again once every window has passed, dropping them', () => {
    const windows = failureWindows({ limit: 1, windowMs, maxKeys: 10 });
    expect(windows.active(0)).toBe(false);
    windows.recordFailure('a', 0);
    windows.recordFailure('b', 10_000);
    expect(windows.active(windowMs - 1)).toBe(true);
    expect(windows.active(windowMs)).toBe(true);
    expect(windows.size()).toBe(1);
    expect(windows.active(windowMs + 10_000)).toBe(false);
    expect(windows.size()).toBe(0);
  });

  it('drops expired windows as new ones start, and never holds more than maxKeys', () => {
    const windows = failureWindows({ limit: 1, windowMs, maxKeys: 100 });
    for (let i = 0; i < 50; i++) windows.recordFailure(`old-${i}`, 0);
    for (let i = 0; i < 10; i++) windows.recordFailure(`new-${i}`, windowMs);
    expect(windows.size()).toBe(10);
    for (let i = 0; i < 1_000; i++) windows.recordFailure(`flood-${i}`, windowMs + i);
    expect(windows.size()).toBe(100);
    // The oldest live windows went first; the latest are still counted.
    expect(windows.retryAfterSeconds('new-0', windowMs + 1_000)).toBeUndefined();
    expect(windows.retryAfterSeconds('flood-999', windowMs + 1_000)).toBe(60);
  });

  it('restarts an expired key’s window at the back, so it outlives older ones', () => {
    const windows = failureWindows({ limit: 1, windowMs, maxKeys: 2 });
    windows.recordFailure('a', 0);
    windows.recordFailure('b', 30_000);
    windows.recordFailure('a', windowMs); // a's window restarts after b's
    windows.recordFailure('c', windowMs + 1); // full: b, the oldest live window, goes
    expect(windows.retryAfterSeconds('a', windowMs + 1)).toBe(60);
    expect(windows.retryAfterSeconds('b', windowMs + 1)).toBeUndefined();
    expect(windows.retryAfterSeconds('c', windowMs + 1)).toBe(60);
  });

  it('takes a shared store’s count and end for a key, ending before windows held longer', () => {
    const windows = failureWindows({ limit: 3, windowMs, maxKeys: 10 });
    windows.recordFailure('a', 0);
    windows.recordCount('b', 3, 20_000, 10_000); // counted elsewhere since before a's window
    expect(windows.retryAfterSeconds('b', 10_000)).toBe(10);
    expect(windows.active(20_000)).toBe(true);
    expect(windows.retryAfterSeconds('b', 20_000)).toBeUndefined();
    windows.recordCount('b', 2, 80_000, 20_000);
    expect(windows.retryAfterSeconds('b', 20_000)).toBeUndefined();
  });
});
