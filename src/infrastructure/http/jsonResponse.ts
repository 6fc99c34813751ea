import type { Express, Response } from 'express';

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
