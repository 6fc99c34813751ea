import { retryDelayMs } from './retryBackoff';

describe('retryDelayMs', () => {
  const policy = { attempts: 5, backoffMs: 100 };

  it('doubles the ceiling with each try and keeps the jitter within its lower half', () => {
    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(policy, attempt, () => 0.999999))).toEqual([99, 199, 399, 799]);
    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(policy, attempt, () => 0))).toEqual([50, 100, 200, 400]);
  });

  it('spreads the waits of jobs that failed together', () => {
    const waits = new Set(Array.from({ length: 50 }, () => retryDelayMs(policy, 3)));
    expect(waits.size).toBeGreaterThan(10);
    for (const wait of waits) expect(wait >= 200 && wait <= 400).toBe(true);
  });
});
