import { sharedFor } from './sharedResult';

describe('sharedFor', () => {
  let clock = 0;
  const now = () => clock;
  beforeEach(() => (clock = 0));

  it('computes once for the callers within the age, again after it', async () => {
    let computed = 0;
    const shared = sharedFor(1000, async () => ++computed, now);
    expect(await Promise.all([shared(), shared()])).toEqual([1, 1]);
    clock = 999;
    expect(await shared()).toBe(1);
    clock = 1000;
    expect(await shared()).toBe(2);
    expect(computed).toBe(2);
  });

  it('does not keep a failure', async () => {
    let calls = 0;
    const shared = sharedFor(
      1000,
      async () => {
        calls++;
        if (calls === 1) throw new Error('database away');
        return 'ok';
      },
      now,
    );
    await expect(shared()).rejects.toThrow('database away');
    expect(await shared()).toBe('ok');
  });
});
