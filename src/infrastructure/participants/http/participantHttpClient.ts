import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleType,
  retry,
  timeout,
  wrap,
} from 'cockatiel';
import { ParticipantProtocolError, ParticipantUnavailableError } from '../../../application/ports/participants';

/**
 * The transport every HTTP participant shares: a JSON POST through cockatiel's
 * `wrap(retry, breaker, timeout)`, so each attempt has its own deadline, failures open the circuit
 * (later calls fail fast until it half-opens), and transient failures are retried with exponential
 * backoff. What counts as transient: 408, 429, 5xx, a network error or no answer in time. A
 * business rejection (422) or ALREADY_COMPENSATED (409) is an answer, never retried, and counts
 * as a success for the breaker. Anything else outside the contract is a ParticipantProtocolError,
 * not retried here. Every call carries `Idempotency-Key: <sagaId>-<step>`, the same on each retry.
 *
 * A call the open circuit turned away before it reached the participant fails with a
 * ParticipantCircuitOpenError, which says when the circuit may half-open: the worker then defers
 * the job until about then without spending one of its tries (jobDeferral.ts). A call of which one
 * attempt reached the participant fails as that attempt did, even if the circuit opened before the
 * next one: it counts.
 */
export type ParticipantHttpOptions = Readonly<{
  /** Names the participant in errors, e.g. `prescriptions`. */
  participant: string;
  baseUrl: string;
  /** Deadline of one attempt. */
  timeoutMs: number;
  /** Retries after the first attempt. */
  retries?: number;
  /** First backoff; each retry doubles it, with jitter. */
  backoffMs?: number;
  /** Consecutive failed attempts that open the circuit (PARTICIPANT_BREAKER_FAILURES). */
  breakerThreshold?: number;
  /** How long the circuit stays open before one trial call (PARTICIPANT_BREAKER_HALF_OPEN_MS). */
  halfOpenAfterMs?: number;
}>;

/**
 * The participant's circuit is open: the call was not sent. `retryAfterMs` is how long until the
 * circuit may let a trial call through (0 when a trial is already running: its answer decides).
 * A ParticipantUnavailableError like any other to the saga; the worker role tells it apart.
 */
export class ParticipantCircuitOpenError extends ParticipantUnavailableError {
  constructor(
    participant: string,
    step: string,
    readonly retryAfterMs: number,
    breakerThreshold: number,
  ) {
    super(
      participant,
      step,
      `the circuit is open after ${breakerThreshold} failures in a row, the call was not sent; a trial call may go through in ${Math.ceil(retryAfterMs / 1000)} s`,
    );
  }
}

export type ParticipantAnswer =
  | Readonly<{ kind: 'ok'; body: unknown }>
  | Readonly<{ kind: 'rejected'; code: string; message: string; details: unknown }>
  | Readonly<{ kind: 'alreadyCompensated' }>;

export type ParticipantCall = Readonly<{ path: string; step: string; sagaId: string; body: unknown }>;

export interface ParticipantHttpClient {
  post(call: ParticipantCall): Promise<ParticipantAnswer>;
}

const defaults = { retries: 2, backoffMs: 100, breakerThreshold: 5, halfOpenAfterMs: 10_000 };

export function createParticipantHttpClient(options: ParticipantHttpOptions): ParticipantHttpClient {
  const { participant, timeoutMs, retries, backoffMs, breakerThreshold, halfOpenAfterMs } = { ...defaults, ...options };
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const transient = handleType(ParticipantUnavailableError).orType(TaskCancelledError);
  const breaker = circuitBreaker(transient, {
    halfOpenAfter: halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(breakerThreshold),
  });
  let openedAt = 0;
  breaker.onBreak(() => (openedAt = Date.now()));
  const policy = wrap(
    retry(transient, {
      maxAttempts: retries,
      backoff: new ExponentialBackoff({ initialDelay: backoffMs, maxDelay: backoffMs * 32 }),
    }),
    breaker,
    timeout(timeoutMs, TimeoutStrategy.Aggressive),
  );
  const circuitOpen = (step: string) =>
    new ParticipantCircuitOpenError(
      participant,
      step,
      breaker.state === CircuitState.Open ? Math.max(0, openedAt + halfOpenAfterMs - Date.now()) : 0,
      breakerThreshold,
    );

  const send = async (
    { path, step, sagaId, body }: ParticipantCall,
    signal: AbortSignal,
  ): Promise<ParticipantAnswer> => {
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          'idempotency-key': `${sagaId}-${step}`,
        },
        body: JSON.stringify(body),
        signal,
      });
    } catch (error) {
      if (signal.aborted) throw new TaskCancelledError(`no answer within ${timeoutMs} ms`);
      throw new ParticipantUnavailableError(participant, step, `POST ${path} failed: ${reasonOf(error)}`);
    }
    const text = await response.text();
    const status = response.status;
    if (status === 408 || status === 429 || status >= 500) {
      throw new ParticipantUnavailableError(participant, step, `POST ${path} answered ${status}`);
    }
    const json = parseJson(text);
    if (status >= 200 && status < 300 && json.ok) return { kind: 'ok', body: json.value };
    const error = json.ok ? errorOf(json.value) : undefined;
    if (status === 422 && error) return { kind: 'rejected', ...error };
    if (status === 409 && error?.code === 'ALREADY_COMPENSATED') return { kind: 'alreadyCompensated' };
    throw new ParticipantProtocolError(participant, step, `POST ${path} answered ${status} ${text.slice(0, 200)}`);
  };

  return {
    async post(call) {
      let sent = false;
      let lastFailure: unknown;
      try {
        return await policy.execute(async ({ signal }) => {
          sent = true; // the circuit let this attempt through
          try {
            return await send(call, signal);
          } catch (error) {
            lastFailure = error;
            throw error;
          }
        });
      } catch (thrown) {
        let error = thrown;
        if (error instanceof BrokenCircuitError) {
          // Turned away before any attempt was sent: not the participant's failure. Turned away on
          // a retry after an attempt that was sent and failed: that failure is the answer.
          if (!sent) throw circuitOpen(call.step);
          error = lastFailure ?? new TaskCancelledError(); // an aggressive timeout rejects before `send` does
        }
        if (error instanceof TaskCancelledError) {
          throw new ParticipantUnavailableError(
            participant,
            call.step,
            `POST ${call.path} gave no answer within ${timeoutMs} ms`,
          );
        }
        throw error;
      }
    },
  };
}

const parseJson = (text: string): { ok: true; value: unknown } | { ok: false } => {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
};

/** `{ error: { code, message, details } }`, the service's own error shape (SPEC §5). */
const errorOf = (body: unknown): { code: string; message: string; details: unknown } | undefined => {
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  if (typeof error?.code !== 'string') return undefined;
  return {
    code: error.code,
    message: typeof error.message === 'string' ? error.message : error.code,
    details: error.details,
  };
};

const reasonOf = (error: unknown) => {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
};
