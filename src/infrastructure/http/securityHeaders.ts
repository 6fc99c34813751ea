import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * helmet's default headers, computed once: helmet's default policies do not depend on the request,
 * so the eleven middlewares it chains on every request are run here once, against a recording
 * response, and each request gets the recorded headers.
 */
export function securityHeaders(): RequestHandler {
  const set = new Map<string, string | number | readonly string[]>();
  const removed = new Set<string>();
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      set.set(name, value);
      removed.delete(name.toLowerCase());
    },
    removeHeader(name: string) {
      removed.add(name.toLowerCase());
    },
  };
  let passed = false;
  helmet()({} as IncomingMessage, recorder as unknown as ServerResponse, () => (passed = true));
  if (!passed) throw new Error('helmet did not set its headers synchronously: use helmet() itself');
  const headers = [...set];
  const removals = [...removed];
  return (_req, res, next) => {
    for (const name of removals) res.removeHeader(name);
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}
