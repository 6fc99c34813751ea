import { RetryLaterError, type FulfillmentJob, type JobHandlers } from '../../application/ports/jobQueue';

export const asError = (thrown: unknown): Error => (thrown instanceof Error ? thrown : new Error(String(thrown)));

/**
 * Tells the handlers a job has failed for good, and returns the error to record on its dead
 * letter. An `onFailed` that throws does not hide the job's own error: both go on the record, so an
 * operator reading the dead letters sees why the saga was not told. An `onFailed` that throws a
 * RetryLaterError (the give-up could not be recorded because our storage is away) is not a give-up
 * yet: that error is thrown on, and the adapter defers the job's last try instead of dead-lettering
 * it with nothing recorded.
 */
export async function reportFinalFailure(handlers: JobHandlers, job: FulfillmentJob, error: Error): Promise<Error> {
  try {
    await handlers.onFailed(job, error);
    return error;
  } catch (thrown) {
    if (thrown instanceof RetryLaterError) throw thrown;
    return new Error(`${error.message} (and onFailed failed too: ${asError(thrown).message})`, { cause: error });
  }
}

/** The longest a deferred job waits before it runs again, whatever its handler asked for. */
export const maxDeferralMs = 10 * 60_000;

/** How long a job deferred by this error waits: its `delayMs`, kept within 0 and `maxDeferralMs`. */
export function deferralDelayMs(later: RetryLaterError): number {
  const delay = Number.isFinite(later.delayMs) ? later.delayMs : maxDeferralMs;
  return Math.round(Math.min(maxDeferralMs, Math.max(0, delay)));
}
