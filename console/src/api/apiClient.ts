import { ApiError } from './apiError';

/**
 * The console's one way to the API: same origin, the token as a Bearer header (never in a URL or
 * a cookie), and conditional GETs. Each GET remembers the ETag and body of its last 200 and sends
 * `If-None-Match`; a 304 answers with that very object, so a poll that finds nothing new costs the
 * service no body, and the page no re-render (a state set to the same object does not render).
 */
export type ApiClient = Readonly<{
  get<T>(path: string): Promise<T>;
  send<T>(method: 'POST' | 'PUT', path: string, body: unknown): Promise<T>;
}>;

export function apiClient(token: string, base = ''): ApiClient {
  const remembered = new Map<string, { etag: string; body: unknown }>();

  const call = async (path: string, init: RequestInit): Promise<Response> => {
    const headers = new Headers(init.headers);
    headers.set('Authorization', `Bearer ${token}`);
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, { ...init, headers, credentials: 'omit', cache: 'no-store' });
    } catch (error) {
      throw new ApiError(0, 'NETWORK', `${init.method ?? 'GET'} ${path}: ${(error as Error).message}`);
    }
    if (response.ok || response.status === 304) return response;
    throw await errorOf(response, `${init.method ?? 'GET'} ${path}`);
  };

  return {
    async get<T>(path: string): Promise<T> {
      const last = remembered.get(path);
      // The browser's cache stays out of it (`no-store`): the console keeps the last body itself. A
      // no-store fetch would add `Cache-Control: no-cache`, which tells the server to ignore
      // If-None-Match (an end-to-end reload, as express's req.fresh reads it): saying `max-age=0`
      // instead keeps the browser from adding it, and asks for the same thing, an answer from the origin.
      const conditional: Record<string, string> = last
        ? { 'If-None-Match': last.etag, 'Cache-Control': 'max-age=0' }
        : {};
      const response = await call(path, { method: 'GET', headers: conditional });
      if (response.status === 304 && last) return last.body as T;
      const body = (await response.json()) as T;
      const etag = response.headers.get('ETag');
      if (etag) remembered.set(path, { etag, body });
      return body;
    },
    async send<T>(method: 'POST' | 'PUT', path: string, body: unknown): Promise<T> {
      const response = await call(path, {
        method,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      return (await response.json()) as T;
    },
  };
}

async function errorOf(response: Response, request: string): Promise<ApiError> {
  const text = await response.text();
  try {
    const { error } = JSON.parse(text) as { error: { code: string; message: string; details?: unknown[] } };
    return new ApiError(response.status, error.code, error.message, error.details);
  } catch {
    return new ApiError(response.status, `HTTP_${response.status}`, `${request} answered ${response.status}: ${text}`);
  }
}
