import { createHash } from 'node:crypto';
import type { Express, Request, Response } from 'express';

/**
 * `res.json` for this app's responses, through `app.response` (express's documented way to
 * extend the response object of one app). Express's own goes through the general `res.send`:
 * app-setting lookups, a mime-types lookup and a content-type parse to add the charset, a
 * freshness check; the bytes sent are the same as these: `JSON.stringify(body)` (this app sets no
 * `json replacer`, `json spaces` or `json escape`), Content-Type `application/json;
 * charset=utf-8` and Content-Length.
 *
 * Responses that need express's general path keep it: a Content-Type, ETag or Last-Modified set
 * beforehand, a status without a body (204, 205, 304), an `undefined` body.
 */
export function useDirectJsonResponses(app: Express): void {
  const general = app.response.json;
  app.response.json = function json(this: Response, body: unknown): Response {
    const text = JSON.stringify(body) as string | undefined;
    if (text === undefined || needsGeneralPath(this)) return general.call(this, body);
    this.setHeader('Content-Type', 'application/json; charset=utf-8');
    this.setHeader('Content-Length', Buffer.byteLength(text));
    this.end(text);
    return this;
  };
}

const needsGeneralPath = (res: Response): boolean =>
  res.statusCode === 204 ||
  res.statusCode === 205 ||
  res.statusCode === 304 ||
  res.hasHeader('content-type') ||
  res.hasHeader('transfer-encoding') ||
  res.hasHeader('etag') ||
  res.hasHeader('last-modified');

/**
 * A GET answer the console and the CLI can poll cheaply: a strong ETag over the exact bytes, and
 * `304 Not Modified` without a body when the request's If-None-Match names it (express's own
 * freshness check, `req.fresh`, so lists of tags and `*` work as HTTP says). `private, no-cache`:
 * a cache may keep the answer only for this caller, and must ask again each time — it is about
 * live sagas, and behind a bearer token.
 *
 * Only GET routes go through here: POST /orders keeps the direct path above, untouched.
 */
export function sendConditionalJson(req: Request, res: Response, status: number, body: unknown): void {
  const text = JSON.stringify(body) ?? 'null';
  res.setHeader('ETag', strongEtagOf(text));
  res.setHeader('Cache-Control', 'private, no-cache');
  if (req.fresh) {
    res.status(304).end();
    return;
  }
  res.status(status);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

/** Strong (no `W/`): equal tags mean equal bytes. sha1 is for telling answers apart, not for secrecy. */
export const strongEtagOf = (text: string): string => `"${createHash('sha1').update(text).digest('base64url')}"`;
