import type { Logger } from '../ports/logger';
import type { SubscriptionStatus } from './catchUpSubscription';

/**
 * What both followers (catchUpSubscription.ts, partitionedSubscription.ts) say of themselves: the
 * status, waiters on their progress, and the log lines of a retry and of a stop on a poison event.
 */
export function followerStatus(name: string, logger: Logger) {
  let status: SubscriptionStatus = { state: 'running', position: 0 };
  const listeners = new Set<() => void>();
  const set = (next: SubscriptionStatus) => {
    status = next;
    for (const listener of listeners) listener();
  };
  return {
    get: () => status,
    set,
    /** A transient failure: status `retrying`, a warning naming when the next try comes. */
    retrying(failure: Error, position: number, attempts: number, retryInMs: number) {
      set({ state: 'retrying', position, error: failure, attempts });
      logger.warn(
        { err: failure, position, attempts, retryInMs: Math.round(retryInMs) },
        `subscription ${name} cannot go on (${failure.message}); trying again in ${Math.round(retryInMs)} ms`,
      );
    },
    /** The follow loop ended on an event it cannot read: status `failed`, and an error to act on. */
    failed(error: unknown) {
      const failure = asError(error);
      set({ state: 'failed', position: status.position, error: failure });
      logger.error(
        { err: failure, position: status.position },
        `subscription ${name} stopped on an event it cannot read and will not continue until it is fixed: ${failure.message}`,
      );
    },
    /** Resolves once everything up to `position` is handled, or the follower has stopped or failed. */
    waitForPosition: (position: number, timeoutMs: number) =>
      new Promise<SubscriptionStatus>((resolve) => {
        const check = () => {
          if ((status.state === 'running' || status.state === 'retrying') && status.position < position) return;
          finish();
        };
        const finish = () => {
          clearTimeout(timer);
          listeners.delete(check);
          resolve(status);
        };
        const timer = setTimeout(finish, timeoutMs);
        listeners.add(check);
        check();
      }),
  };
}

export const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));
