import { ConfigurationError, loadConfig } from './config';

describe('loadConfig: JOB_LEASE_MS', () => {
  it('defaults to 5 s', () => {
    expect(loadConfig({}).jobLeaseMs).toBe(5_000);
  });

  it('takes a whole number of milliseconds from 1 s to 10 min', () => {
    expect(loadConfig({ JOB_LEASE_MS: '1000' }).jobLeaseMs).toBe(1_000);
    expect(loadConfig({ JOB_LEASE_MS: '600000' }).jobLeaseMs).toBe(600_000);
  });

  it.each(['999', '600001', '2.5', 'five', '-5000'])('refuses %s, naming the variable', (value) => {
    const load = () => loadConfig({ JOB_LEASE_MS: value });
    expect(load).toThrow(ConfigurationError);
    expect(load).toThrow(
      `Invalid configuration: JOB_LEASE_MS must be a whole number from 1000 to 600000 (got "${value}")`,
    );
  });
});

describe('loadConfig: AUTH_FAILURES_PER_MINUTE', () => {
  it('defaults to 30', () => {
    expect(loadConfig({}).authFailuresPerMinute).toBe(30);
  });

  it('takes a whole number from 1 to 100000', () => {
    expect(loadConfig({ AUTH_FAILURES_PER_MINUTE: '1' }).authFailuresPerMinute).toBe(1);
    expect(loadConfig({ AUTH_FAILURES_PER_MINUTE: '100000' }).authFailuresPerMinute).toBe(100_000);
  });

  it.each(['0', '100001', '2.5', 'many', '-1'])('refuses %s, naming the variable', (value) => {
    expect(() => loadConfig({ AUTH_FAILURES_PER_MINUTE: value })).toThrow(
      `Invalid configuration: AUTH_FAILURES_PER_MINUTE must be a whole number from 1 to 100000 (got "${value}")`,
    );
  });
});

describe('loadConfig: the external participants’ circuit breaker', () => {
  it('opens after 5 failures in a row and half-opens after 10 s by default', () => {
    expect(loadConfig({}).participants).toMatchObject({ breakerFailures: 5, breakerHalfOpenAfterMs: 10_000 });
  });

  it('takes PARTICIPANT_BREAKER_FAILURES and PARTICIPANT_BREAKER_HALF_OPEN_MS', () => {
    const config = loadConfig({ PARTICIPANT_BREAKER_FAILURES: '3', PARTICIPANT_BREAKER_HALF_OPEN_MS: '2500' });
    expect(config.participants).toMatchObject({ breakerFailures: 3, breakerHalfOpenAfterMs: 2_500 });
  });

  it.each([
    ['PARTICIPANT_BREAKER_FAILURES', '0', 'from 1 to 1000'],
    ['PARTICIPANT_BREAKER_HALF_OPEN_MS', '99', 'from 100 to 3600000'],
  ])('refuses %s=%s, naming the variable', (variable, value, range) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(
      `Invalid configuration: ${variable} must be a whole number ${range} (got "${value}")`,
    );
  });
});

describe('loadConfig: the saga reconciler (RECONCILE_INTERVAL_MS, RECONCILE_IDLE_MS)', () => {
  it('scans every 10 s for sagas idle 10 s or more by default', () => {
    expect(loadConfig({}).reconciler).toEqual({ intervalMs: 10_000, idleAfterMs: 10_000 });
  });

  it('takes 0 as off, or an interval from 100 ms to an hour, and any idle time up to a day', () => {
    expect(loadConfig({ RECONCILE_INTERVAL_MS: '0' }).reconciler.intervalMs).toBe(0);
    expect(loadConfig({ RECONCILE_INTERVAL_MS: '100' }).reconciler.intervalMs).toBe(100);
    expect(loadConfig({ RECONCILE_INTERVAL_MS: '3600000' }).reconciler.intervalMs).toBe(3_600_000);
    expect(loadConfig({ RECONCILE_IDLE_MS: '0' }).reconciler.idleAfterMs).toBe(0);
    expect(loadConfig({ RECONCILE_IDLE_MS: '86400000' }).reconciler.idleAfterMs).toBe(86_400_000);
  });

  it.each(['1', '99'])('refuses an interval of %s ms, a busy loop', (value) => {
    expect(() => loadConfig({ RECONCILE_INTERVAL_MS: value })).toThrow(
      `Invalid configuration: RECONCILE_INTERVAL_MS must be 0 (off) or a whole number from 100 to 3600000 (got "${value}")`,
    );
  });

  it.each(['3600001', 'often', '-1'])('refuses an interval of %s, naming the variable', (value) => {
    expect(() => loadConfig({ RECONCILE_INTERVAL_MS: value })).toThrow(/^Invalid configuration: RECONCILE_INTERVAL_MS/);
  });

  it.each(['86400001', '1.5', 'idle'])('refuses an idle time of %s, naming the variable', (value) => {
    expect(() => loadConfig({ RECONCILE_IDLE_MS: value })).toThrow(
      `Invalid configuration: RECONCILE_IDLE_MS must be a whole number from 0 to 86400000 (got "${value}")`,
    );
  });
});
