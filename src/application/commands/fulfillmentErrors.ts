import { FulfillmentError, type ErrorSagaContext } from '../../domain/errors';

/**
 * The errors commands and queries raise. Their codes are stable: the HTTP error table maps each
 * to a status, and clients key on them.
 */

/** Input that does not satisfy a command's rules; `details` lists every problem found. */
export class ValidationError extends FulfillmentError {
  constructor(message: string, details: readonly unknown[] = []) {
    super('VALIDATION_FAILED', message, details);
  }
}

export class NotFoundError extends FulfillmentError {
  constructor(what: 'order' | 'saga' | 'item' | 'route', id: string) {
    super('NOT_FOUND', `no ${what} ${id}: check the id (ids are the ones POST /orders returned)`);
  }
}

/** The saga is not in a state that allows the command (e.g. retry outside MANUAL_REVIEW). */
export class SagaStateConflictError extends FulfillmentError {
  constructor(message: string, saga: ErrorSagaContext) {
    super('SAGA_STATE_CONFLICT', message, undefined, saga);
  }
}

/** The order's saga has ended (COMPLETED or CANCELLED): nothing can change it any more. */
export class OrderAlreadyFinalError extends FulfillmentError {
  constructor(saga: ErrorSagaContext) {
    super(
      'ORDER_ALREADY_FINAL',
      `order of saga ${saga.sagaId} is already ${saga.state}: a finished order cannot be cancelled`,
      undefined,
      saga,
    );
  }
}

/**
 * A request's own key (its Idempotency-Key) already placed an order with another body: the key
 * names one order, so the request is refused rather than answered with someone else's order.
 */
export class RequestKeyReusedError extends FulfillmentError {
  constructor() {
    super(
      'IDEMPOTENCY_KEY_REUSED',
      'this Idempotency-Key already placed an order with a different body: use a new key for a new order',
    );
  }
}
