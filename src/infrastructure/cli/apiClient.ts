import type { z } from 'zod';
import type {
  commandAcceptedResponse,
  orderResponse,
  sagaChangesResponse,
  sagaEventsResponse,
  sagaListResponse,
  sagaStatusResponse,
} from '../http/schemas';
import type { SagaScope } from '../../application/queries/sagaReadModel';
import type { SagaState } from '../../domain/saga/sagaVocabulary';

/**
 * The HTTP API as functions, one per route the operator verbs use, typed from the zod schemas the
 * routes are declared with (src/infrastructure/http/schemas.ts), so a change there shows here at
 * compile time. Every GET keeps the last answer and its ETag per URL and asks again with
 * If-None-Match: a poll that finds nothing new costs the service a hash and an empty 304.
 */
export type SagaStatus = z.output<typeof sagaStatusResponse>;
export type SagaList = z.output<typeof sagaListResponse>;
export type SagaChanges = z.output<typeof sagaChangesResponse>;
export type SagaEvents = z.output<typeof sagaEventsResponse>;
export type Order = z.output<typeof orderResponse>;
export type CommandAccepted = z.output<typeof commandAcceptedResponse>;

/** An answer in the API's error shape (or none that could be read), with what the service said. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`${message} (${code}, HTTP ${status})`);
    this.name = 'ApiError';
  }
}

export type ApiConnection = Readonly<{ url: string; token: string }>;

export function createApiClient({ url, token }: ApiConnection) {
  const base = url.replace(/\/+$/, '');
  const cached = new Map<string, { etag: string; body: unknown }>();

  async function call<T>(method: 'GET' | 'POST', path: string, body?: object): Promise<T> {
    const target = `${base}${path}`;
    const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
    const previous = method === 'GET' ? cached.get(target) : undefined;
    if (previous) headers['If-None-Match'] = previous.etag;
    if (body) headers['Content-Type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(target, { method, headers, body: body ? JSON.stringify(body) : undefined });
    } catch (error) {
      const reason = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(
        `cannot reach the service at ${base} (${reason?.code ?? reason?.message ?? (error as Error).message}): ` +
          'is it running? Pass --url or set FULFILLMENT_URL to point at it',
        { cause: error },
      );
    }
    if (response.status === 304 && previous) return previous.body as T;
    const text = await response.text();
    const parsed = parseJson(text);
    if (!response.ok) {
      const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new ApiError(
        response.status,
        error?.code ?? 'HTTP_ERROR',
        error?.message ?? (text.slice(0, 200) || response.statusText),
      );
    }
    const etag = response.headers.get('etag');
    if (method === 'GET' && etag) cached.set(target, { etag, body: parsed });
    return parsed as T;
  }

  const query = (params: Readonly<Record<string, string | number | undefined>>) => {
    const entries = Object.entries(params).filter(
      (entry): entry is [string, string | number] => entry[1] !== undefined,
    );
    return entries.length
      ? `?${new URLSearchParams(entries.map(([key, value]): [string, string] => [key, String(value)]))}`
      : '';
  };
  const id = encodeURIComponent;

  return {
    listSagas: (filter: Readonly<{ state?: SagaState; scope?: SagaScope; limit?: number; cursor?: string }>) =>
      call<SagaList>('GET', `/sagas${query(filter)}`),
    getSaga: (sagaId: string) => call<SagaStatus>('GET', `/sagas/${id(sagaId)}`),
    getOrder: (orderId: string) => call<Order>('GET', `/orders/${id(orderId)}`),
    sagaEvents: (sagaId: string) => call<SagaEvents>('GET', `/sagas/${id(sagaId)}/events`),
    sagaChanges: (request: Readonly<{ after?: string; limit?: number }>) =>
      call<SagaChanges>('GET', `/sagas/changes${query(request)}`),
    retrySaga: (sagaId: string) => call<CommandAccepted>('POST', `/sagas/${id(sagaId)}/retry`, {}),
    resolveSaga: (sagaId: string, note: string) =>
      call<CommandAccepted>('POST', `/sagas/${id(sagaId)}/resolve`, { note }),
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}
