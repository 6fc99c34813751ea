import type { z } from 'zod';
import { ValidationError } from '../../application/commands/fulfillmentErrors';

/** Parses input with a schema; on failure, a VALIDATION_FAILED error listing every issue by path. */
export function validate<Schema extends z.ZodType>(schema: Schema, input: unknown, what: string): z.output<Schema> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const details = result.error.issues.map((issue) => ({
    path: issue.path.map(String),
    message: issue.message,
    ...('keys' in issue ? { keys: issue.keys } : {}),
  }));
  const first = details[0]!;
  throw new ValidationError(
    `${what} is invalid: ${first.path.length ? `${first.path.join('.')}: ` : ''}${first.message}${details.length > 1 ? ` (and ${details.length - 1} more)` : ''}`,
    details,
  );
}
