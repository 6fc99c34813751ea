import { ValidationError } from '../commands/fulfillmentErrors';

/**
 * The cursors the queries hand out: one whole number under a name, as base64url JSON with a
 * version, opaque to clients (so what it holds can change without breaking them). A cursor that
 * does not decode is a VALIDATION_FAILED naming the query parameter it came in.
 */
export const encodeCursor = (key: string, value: number): string =>
  Buffer.from(JSON.stringify({ v: 1, [key]: value })).toString('base64url');

export function decodeCursor(
  cursor: string,
  key: string,
  at: Readonly<{ param: string; min: number; hint: string }>,
): number {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    const value = parsed[key];
    if (parsed.v === 1 && Number.isSafeInteger(value) && (value as number) >= at.min) return value as number;
  } catch {
    // falls through to the error below
  }
  throw new ValidationError(`${at.param} is not a cursor this service handed out: ${at.hint}`, [
    { path: [at.param], message: 'invalid cursor' },
  ]);
}
