import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';
import pinoPretty from 'pino-pretty';
import type { Logger } from '../../application/ports/logger';
import type { Config } from '../config/config';

/**
 * Logs through pino, at the configured level. Saga work logs through `sagaLogger`, so every line
 * about a saga carries its `sagaId` and `correlationId` and can be found by either.
 *
 * JSON lines by default (what collectors read, and all that pino does on the hot path). With
 * `format: 'pretty'` (LOG_FORMAT, or a terminal on stdout: config.ts) the same records go through
 * pino-pretty as coloured one-line messages for a person. pino-pretty runs in this thread, as a
 * synchronous stream, rather than as a pino transport: a transport is a worker thread of its own,
 * a third thread beside the HTTP and saga threads of `npm start` on our two cores, whose buffered
 * lines are lost when the process exits at once (a crash's last words). Formatting in-thread costs
 * about 20 µs a line more than JSON (some 30 against 10 µs, measured writing to /dev/null), paid
 * only while someone watches a terminal.
 */
export function createLogger(
  options: Readonly<{ level: Config['logLevel']; format?: Config['logFormat']; name?: string }>,
  destination?: DestinationStream,
): PinoLogger {
  const output = options.format === 'pretty' ? prettyLines(destination) : destination;
  return pino(
    {
      name: options.name ?? 'fulfillment',
      level: options.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Never log credentials, whatever a caller passes in.
      redact: {
        paths: ['token', '*.token', 'authorization', '*.authorization', 'headers.authorization'],
        censor: '[redacted]',
      },
    },
    output,
  );
}

function prettyLines(destination?: DestinationStream): DestinationStream {
  return pinoPretty({
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,name',
    singleLine: true,
    sync: true,
    // To stdout, pino-pretty colours when the terminal takes colours (and NO_COLOR is unset).
    ...(destination ? { destination, colorize: false } : {}),
  });
}

/** pino's logger already has the port's shape; this names the fact and keeps the type narrow. */
export const asLoggerPort = (logger: PinoLogger): Logger => logger as unknown as Logger;

export const sagaLogger = (logger: Logger, sagaId: string): Logger => logger.child({ sagaId, correlationId: sagaId });
