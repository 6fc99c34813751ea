import type { FulfillmentJob, JobHandlers } from '../../application/ports/jobQueue';

export const asError = (thrown: unknown): Error => (thrown instanceof Error ? thrown : new Error(String(thrown)));

/**
 * Tells the handlers a job has failed for good, and returns the error to record on its dead
 * letter. An `onFailed` that throws does not hide the job's own error: both go on the record, so an
 * operator reading the dead letters sees why the saga was not told.
 */
export async function reportFinalFailure(handlers: JobHandlers, job: FulfillmentJob, error: Error): Promise<Error> {
  try {
    await handlers.onFailed(job, error);
    return error;
  } catch (thrown) {
    return new Error(`${error.message} (and onFailed failed too: ${asError(thrown).message})`, { cause: error });
  }
}
