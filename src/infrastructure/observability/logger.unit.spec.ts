import { Writable } from 'node:stream';
import { loadConfig } from '../config/config';
import { createLogger } from './logger';

/** Collects what a logger writes, line by line. */
function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, stream: Object.assign(stream, { write: stream.write.bind(stream) }) };
}

describe('logs a person can read', () => {
  it('JSON lines by default, credentials redacted', () => {
    const { lines, stream } = capture();
    createLogger({ level: 'info' }, stream).info({ sagaId: 's-1', token: 'secret-token' }, 'saga started');
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, msg: 'saga started', sagaId: 's-1', token: '[redacted]' });
  });

  it('pretty: one readable line per record, with its fields, still redacted', () => {
    const { lines, stream } = capture();
    createLogger({ level: 'info', format: 'pretty' }, stream).warn(
      { sagaId: 's-1', token: 'secret-token' },
      'saga stopped',
    );
    expect(lines).toHaveLength(1);
    expect(() => JSON.parse(lines[0]!)).toThrow();
    expect(lines[0]).toMatch(
      /^\[\d{2}:\d{2}:\d{2}\.\d{3}\] WARN: saga stopped \{"sagaId":"s-1","token":"\[redacted\]"\}$/,
    );
  });

  it('LOG_FORMAT=auto (the default) is pretty on a terminal and JSON otherwise; json or pretty force it', () => {
    expect(loadConfig({}, true).logFormat).toBe('pretty');
    expect(loadConfig({}, false).logFormat).toBe('json');
    expect(loadConfig({ LOG_FORMAT: 'json' }, true).logFormat).toBe('json');
    expect(loadConfig({ LOG_FORMAT: 'pretty' }, false).logFormat).toBe('pretty');
    expect(() => loadConfig({ LOG_FORMAT: 'colour' })).toThrow('LOG_FORMAT must be auto, json or pretty');
  });
});
