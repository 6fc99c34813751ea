import { FulfillmentError } from '../../domain/errors';

/**
 * Some, not all, of an append's event ids are stored already (or stored in another stream). A
 * retried append repeats all its ids and is a no-op; a partial overlap means a caller reused ids.
 */
export class EventIdReusedError extends FulfillmentError {
  constructor(readonly stream: string) {
    super(
      'EVENT_ID_REUSED',
      `append to stream ${stream} was rejected: some of its event ids are stored already; give new events new ids`,
    );
  }
}
