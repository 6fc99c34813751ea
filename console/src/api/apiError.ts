/** An answer of the API outside 2xx/304, in its one error shape (docs/api.md), or no answer at all. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown[],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * What an operator reads when an API call fails: the API's own message, after a sentence that says
 * what it means for them. The codes are those of src/infrastructure/http/errorStatuses.ts.
 */
export function describeError(error: unknown): string {
  if (!(error instanceof ApiError)) return `Something went wrong in the console: ${String(error)}`;
  const lead: Record<string, string> = {
    UNAUTHORIZED: 'The token was refused (401): sign out and sign in with a token from API_TOKENS.',
    FORBIDDEN: 'Not allowed with this token (403): this needs an operator token.',
    SAGA_STATE_CONFLICT: 'Not possible in the saga’s current state (409).',
    ORDER_ALREADY_FINAL: 'The order is already final (409): it completed or was cancelled.',
    STOCK_BELOW_RESERVED: 'On hand cannot go below what open orders have reserved (409).',
    CONCURRENCY_CONFLICT: 'Someone else changed it at the same moment (409): reload and try again.',
    RATE_LIMITED: 'Too many requests with this token (429): the console slows down and tries again.',
    NOT_FOUND: 'Not found (404).',
    VALIDATION_FAILED: 'The input was refused (400).',
    NETWORK: 'The service did not answer: is it running?',
  };
  const prefix = lead[error.code] ?? `The API answered ${error.status} ${error.code}.`;
  return `${prefix} ${error.message}`;
}
