import { FulfillmentError } from '../domain/errors';

/** Errors raised by the application and its ports. Their codes are mapped to HTTP in one table. */

/** An append's expected revision did not match the stream: nothing was written. */
export class ConcurrencyError extends FulfillmentError {
  constructor(
    readonly stream: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      'CONCURRENCY_CONFLICT',
      `stream ${stream} is at revision ${actual}, not ${expected} as expected: read it again and retry`,
    );
  }
}

/** An event failed its schema before it was stored. */
export class EventSchemaError extends FulfillmentError {
  constructor(
    readonly eventType: string,
    readonly field: string,
    reason: string,
  ) {
    super('EVENT_SCHEMA_VIOLATION', `${eventType} was not stored: field "${field}" ${reason}`);
  }
}

/** A stored row cannot be read back. Subscribers stop on it instead of skipping it. */
export class EventDecodingError extends FulfillmentError {
  constructor(
    readonly origin: Readonly<{ stream: string; position: number | string }>,
    reason: string,
  ) {
    super(
      'EVENT_DECODING_FAILED',
      `event at position ${origin.position} of stream ${origin.stream} cannot be decoded: ${reason}`,
    );
  }
}
