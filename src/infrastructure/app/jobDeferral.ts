import { RetryLaterError, type FulfillmentJob } from '../../application/ports/jobQueue';
import type { Logger } from '../../application/ports/logger';
import { ParticipantProtocolError, ParticipantUnavailableError } from '../../application/ports/participants';
import { isStorageUnavailable, StorageUnavailableError } from '../database/storageUnavailable';
import { ParticipantCircuitOpenError } from '../participants/http/participantHttpClient';

/**
 * The worker role's reading of a failed try: did it count? A job's attempts are for its
 * participant's failures, so two kinds of try are deferred instead (RetryLaterError: the queue runs
 * the job again later, the attempt not spent, and never dead-letters it for that):
 *
 * - `circuit_open`: the participant's circuit breaker turned the call away before it was sent
 *   (ParticipantCircuitOpenError). The job waits until the breaker may let a trial call through,
 *   plus 50 ms to 1 s of jitter. Only that trial reaches the participant; the jobs that come back
 *   with it find the circuit closed (and run) or open again (and wait another round). A try of
 *   which a call was sent and failed (5xx, no answer in time, a dropped connection) counts.
 * - `storage_unavailable`: our own storage was away (isStorageUnavailable, anywhere in the error's
 *   causes): the try could not read what it needed or record what it did, or a built-in
 *   participant could not reach its tables. The job waits about as long as the outage has lasted so
 *   far, from 250 ms up to 5 s, with jitter (half to all of it), so that it comes back soon after
 *   the storage does without hammering it meanwhile.
 *
 * Everything else counts as a try (and is retried with the queue's backoff until attempts run out).
 *
 * Each deferral is counted in `fulfillment_job_deferrals_total{kind,name,reason}`. The log gets one
 * warning when an episode starts (a participant's circuit, or the storage, seen in the way after a
 * quiet `reportEveryMs`) and then one summary line per `reportEveryMs` while it lasts, not a line
 * per job per try.
 */
export type JobDeferralOptions = Readonly<{
  logger: Logger;
  /** Counts each deferral: `fulfillment_job_deferrals_total`. */
  countDeferral?: (kind: string, name: string, reason: string) => void;
  random?: () => number;
  now?: () => number;
  reportEveryMs?: number;
}>;

export type JobDeferral = (job: FulfillmentJob, error: Error) => RetryLaterError | undefined;

export const storageRetryMs = { min: 250, max: 5_000 } as const;
export const circuitJitterMs = { min: 50, max: 1_000 } as const;

type Episode = { startedAt: number; lastAt: number; reportedAt: number; deferredSinceReport: number };

export function createJobDeferral(options: JobDeferralOptions): JobDeferral {
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const reportEveryMs = options.reportEveryMs ?? 30_000;
  const logger = options.logger.child({ component: 'jobDeferral' });
  const episodes = new Map<string, Episode>();

  /** Notes a deferral under `key`; says whether it starts an episode and whether to report now. */
  const note = (key: string, at: number): { episode: Episode; starts: boolean; report: boolean } => {
    const known = episodes.get(key);
    if (!known || at - known.lastAt > reportEveryMs) {
      const episode = { startedAt: at, lastAt: at, reportedAt: at, deferredSinceReport: 0 };
      episodes.set(key, episode);
      return { episode, starts: true, report: false };
    }
    known.lastAt = at;
    known.deferredSinceReport += 1;
    const report = at - known.reportedAt >= reportEveryMs;
    if (report) known.reportedAt = at;
    return { episode: known, starts: false, report };
  };

  const report = (key: string, at: number, fields: object, starting: string, ongoing: string) => {
    const { episode, starts, report: summary } = note(key, at);
    if (starts) logger.warn({ ...fields, deferred: 1 }, starting);
    else if (summary) {
      const deferred = episode.deferredSinceReport;
      episode.deferredSinceReport = 0;
      const lastedS = Math.round((at - episode.startedAt) / 1000);
      logger.warn(
        { ...fields, deferred, lastedMs: at - episode.startedAt },
        `${ongoing} (${lastedS} s so far, ${deferred} tries deferred since the last report)`,
      );
    }
  };

  return (job, error) => {
    const at = now();
    if (error instanceof ParticipantCircuitOpenError) {
      const delayMs = Math.round(error.retryAfterMs + jitter(circuitJitterMs, random));
      const waitS = Math.ceil(error.retryAfterMs / 1000);
      options.countDeferral?.(job.kind, job.name, 'circuit_open');
      report(
        `circuit_open:${error.participant}`,
        at,
        { reason: 'circuit_open', participant: error.participant, retryAfterMs: error.retryAfterMs },
        `the ${error.participant} participant's circuit breaker is open: its jobs wait for its trial call (in ${waitS} s) without spending their tries`,
        `the ${error.participant} participant's circuit breaker is still open; its jobs keep waiting without spending their tries`,
      );
      return new RetryLaterError(
        'circuit_open',
        delayMs,
        `${error.message}; deferred ${delayMs} ms without spending a try`,
        error,
      );
    }
    const storageError = storageCause(error);
    if (storageError) {
      const episode = episodes.get('storage');
      const awayMs = episode && at - episode.lastAt <= reportEveryMs ? at - episode.startedAt : 0;
      const ceiling = Math.min(storageRetryMs.max, Math.max(storageRetryMs.min, awayMs));
      const delayMs = Math.round(ceiling * (0.5 + 0.5 * random()));
      const what = describe(storageError);
      options.countDeferral?.(job.kind, job.name, 'storage_unavailable');
      report(
        'storage',
        at,
        { reason: 'storage_unavailable', err: storageError },
        `our storage is unavailable (${what}): jobs wait for it, retrying every ${storageRetryMs.min} ms to ${storageRetryMs.max / 1000} s, without spending their tries`,
        `our storage is still unavailable (${what}); jobs keep waiting without spending their tries`,
      );
      return new RetryLaterError(
        'storage_unavailable',
        delayMs,
        `our storage is unavailable (${what}); deferred ${delayMs} ms without spending a try`,
        error,
      );
    }
    return undefined;
  };
}

const jitter = ({ min, max }: Readonly<{ min: number; max: number }>, random: () => number) =>
  min + random() * (max - min);

/**
 * The error, or one of its causes, that says our storage is away. A participant's own error is not
 * looked into: an external participant that refuses connections is the participant's failure.
 */
function storageCause(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 8 && current; depth++) {
    if (current instanceof ParticipantUnavailableError || current instanceof ParticipantProtocolError) return undefined;
    if (current instanceof StorageUnavailableError || isStorageUnavailable(current)) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

const describe = (error: unknown): string => {
  const { code, message } = error as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message.slice(0, 160) : String(error);
  return typeof code === 'string' && !text.includes(code) ? `${code}: ${text}` : text;
};
