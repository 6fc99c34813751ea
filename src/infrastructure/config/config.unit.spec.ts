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
