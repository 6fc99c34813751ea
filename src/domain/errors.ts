/**
 * One error base for the whole service. `code` is stable (clients and the HTTP error table key on
 * it); `message` says what was wrong and what to do; `saga` names the saga and step concerned.
 */
export type ErrorSagaContext = Readonly<{ sagaId: string; state?: string; step?: string | null }>;

export class FulfillmentError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: readonly unknown[],
    readonly saga?: ErrorSagaContext,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
