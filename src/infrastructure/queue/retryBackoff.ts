import type { RetryPolicy } from '../../application/ports/jobQueue';

/**
 * Both queue adapters wait the same way between tries: exponential, with jitter so that the jobs
 * one outage failed together do not all come back in the same instant. The formula is BullMQ's
 * built-in `exponential` strategy with `jitter`: try n waits between (1 − jitter) and 1 times
 * base × 2^(n−1).
 */
export const backoffJitter = 0.5;

/** How long to wait after failed try `attempt` (1 for the first) before the next one. */
export function retryDelayMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.round(policy.backoffMs * 2 ** (attempt - 1));
  return Math.floor(ceiling * (1 - backoffJitter) + random() * ceiling * backoffJitter);
}
