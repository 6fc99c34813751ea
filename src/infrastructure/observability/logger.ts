import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';
import type { Logger } from '../../application/ports/logger';
import type { Config } from '../config/config';

/**
 * JSON logs through pino, at the configured level. Saga work logs through `sagaLogger`, so every
 * line about a saga carries its `sagaId` and `correlationId` and can be found by either.
 */
export function createLogger(
  options: Readonly<{ level: Config['logLevel']; name?: string }>,
  destination?: DestinationStream,
): PinoLogger {
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
    destination,
  );
}

/** pino's logger already has the port's shape; this names the fact and keeps the type narrow. */
export const asLoggerPort = (logger: PinoLogger): Logger => logger as unknown as Logger;

export const sagaLogger = (logger: Logger, sagaId: string): Logger => logger.child({ sagaId, correlationId: sagaId });
