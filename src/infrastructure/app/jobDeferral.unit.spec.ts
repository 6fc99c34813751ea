import { RetryLaterError } from '../../application/ports/jobQueue';
import type { Logger } from '../../application/ports/logger';
import { ParticipantProtocolError, ParticipantUnavailableError } from '../../application/ports/participants';
import { sampleStepJob } from '../../testing/sampleJobs';
import { StorageUnavailableError } from '../database/storageUnavailable';
import { ParticipantCircuitOpenError } from '../participants/http/participantHttpClient';
import { createJobDeferral, storageRetryMs } from './jobDeferral';

const job = sampleStepJob({ name: 'CreatePrescription', sagaId: 'saga-1', orderId: 'order-1', causationId: 'e-1' });

function recordingLogger() {
  const lines: { level: string; fields: object; message?: string }[] = [];
  const logger: Logger = {
    debug: (fields, message) => void lines.push({ level: 'debug', fields, message }),
    info: (fields, message) => void lines.push({ level: 'info', fields, message }),
    warn: (fields, message) => void lines.push({ level: 'warn', fields, message }),
    error: (fields, message) => void lines.push({ level: 'error', fields, message }),
    child: () => logger,
  };
  return { logger, lines };
}

function deferral(options: { random?: () => number } = {}) {
  let now = 1_000_000;
  const counted: string[] = [];
  const { logger, lines } = recordingLogger();
  const retryLater = createJobDeferral({
    logger,
    countDeferral: (kind, name, reason) => counted.push(`${kind}/${name}/${reason}`),
    random: options.random ?? (() => 0.5),
    now: () => now,
    reportEveryMs: 30_000,
  });
  return { retryLater, counted, lines, advance: (ms: number) => (now += ms) };
}

const connectionRefused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' });

describe('jobDeferral: which failed tries do not count', () => {
  it('defers a call the open circuit turned away until it may half-open, plus jitter', () => {
    const { retryLater, counted } = deferral({ random: () => 0 });
    const later = retryLater(job, new ParticipantCircuitOpenError('prescriptions', 'CreatePrescription', 4_000, 5));
    expect(later).toBeInstanceOf(RetryLaterError);
    expect(later).toMatchObject({ reason: 'circuit_open', delayMs: 4_050 });
    expect(counted).toEqual(['step/CreatePrescription/circuit_open']);
    const latest = deferral({ random: () => 0.999_999 }).retryLater(
      job,
      new ParticipantCircuitOpenError('prescriptions', 'CreatePrescription', 4_000, 5),
    );
    expect(latest!.delayMs).toBe(5_000);
  });

  it('counts a try that reached the participant and failed, however it failed', () => {
    const { retryLater, counted } = deferral();
    for (const error of [
      new ParticipantUnavailableError('prescriptions', 'CreatePrescription', 'POST /prescriptions answered 500'),
      new ParticipantUnavailableError(
        'prescriptions',
        'CreatePrescription',
        'POST /prescriptions failed: ECONNREFUSED',
      ),
      Object.assign(new ParticipantUnavailableError('prescriptions', 'CreatePrescription', 'refused'), {
        cause: connectionRefused(),
      }),
      new ParticipantProtocolError('prescriptions', 'CreatePrescription', 'answered 404'),
      new Error('a bug'),
    ]) {
      expect(retryLater(job, error)).toBeUndefined();
    }
    expect(counted).toEqual([]);
  });

  it('defers a try that met our storage away, found anywhere among the error’s causes', () => {
    const { retryLater, counted } = deferral();
    const wrapped = new Error('outer', { cause: new Error('middle', { cause: connectionRefused() }) });
    const locked = Object.assign(new Error('Access denied, this account is locked'), { errno: 4151 });
    const closed = new Error("Can't add new command when connection is in closed state");
    for (const error of [connectionRefused(), wrapped, locked, closed, new StorageUnavailableError()]) {
      expect(retryLater(job, error)).toMatchObject({ reason: 'storage_unavailable' });
    }
    expect(counted).toHaveLength(5);
  });

  it('waits about as long as the storage has been away, from the floor to the ceiling, with jitter', () => {
    const { retryLater, advance } = deferral({ random: () => 1 });
    expect(retryLater(job, connectionRefused())!.delayMs).toBe(storageRetryMs.min);
    advance(1_000);
    expect(retryLater(job, connectionRefused())!.delayMs).toBe(1_000);
    advance(2_000);
    expect(retryLater(job, connectionRefused())!.delayMs).toBe(3_000);
    advance(20_000);
    expect(retryLater(job, connectionRefused())!.delayMs).toBe(storageRetryMs.max);
    // Quiet for longer than the report interval: a new outage starts from the floor again.
    advance(31_000);
    expect(retryLater(job, connectionRefused())!.delayMs).toBe(storageRetryMs.min);

    const jittered = deferral({ random: () => 0 });
    jittered.retryLater(job, connectionRefused());
    jittered.advance(4_000);
    expect(jittered.retryLater(job, connectionRefused())!.delayMs).toBe(2_000);
  });

  it('logs one warning when an episode starts and one summary per interval while it lasts, not a line per try', () => {
    const { retryLater, lines, advance } = deferral();
    const open = () => new ParticipantCircuitOpenError('shipping', 'InitiateShipment', 8_000, 5);
    for (let second = 0; second < 65; second++) {
      for (let job_ = 0; job_ < 20; job_++) retryLater(job, open());
      advance(1_000);
    }
    const warnings = lines.filter((line) => line.level === 'warn');
    expect(warnings.map((line) => line.message)).toEqual([
      expect.stringMatching(
        /shipping participant's circuit breaker is open: its jobs wait for its trial call \(in 8 s\)/,
      ),
      expect.stringMatching(/still open.*\(30 s so far, 600 tries deferred since the last report\)/),
      expect.stringMatching(/still open.*\(60 s so far, 600 tries deferred since the last report\)/),
    ]);
    // Another cause has its own episode.
    retryLater(job, connectionRefused());
    expect(lines.at(-1)).toMatchObject({ level: 'warn', message: expect.stringMatching(/our storage is unavailable/) });
  });
});
