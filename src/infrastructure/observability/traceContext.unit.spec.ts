import { formatTraceparent, parseTraceparent, traceparentFromHeaders } from './traceContext';

describe('traceparent', () => {
  const valid = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

  it('round-trips a valid header', () => {
    const parsed = parseTraceparent(valid);
    expect(parsed).toMatchObject({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: 1,
    });
    expect(formatTraceparent(parsed!)).toBe(valid);
  });

  it('normalises case and keeps only the sampled flag', () => {
    expect(traceparentFromHeaders({ traceparent: valid.toUpperCase().replace(/-01$/, '-03') })).toBe(valid);
  });

  it.each([
    ['missing', undefined],
    ['garbage', 'hello'],
    ['all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['all-zero span id', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'],
    ['version ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['extra fields on version 00', `${valid}-extra`],
    ['short span id', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902-01'],
  ])('rejects %s', (_label, header) => {
    expect(parseTraceparent(header)).toBeUndefined();
  });

  it('accepts a future version with extra fields', () => {
    expect(parseTraceparent(`01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-more`)).toBeDefined();
  });
});
