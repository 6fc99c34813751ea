import type { z } from 'zod';
import type { FulfillmentEvent } from '../../domain/events';
import { EventDecodingError, EventSchemaError } from '../errors';
import { eventCatalog, isKnownEventType, type CatalogEntry } from './eventCatalog';

/** Where a stored row came from, so that a decoding failure can name it. */
export type StoredEventOrigin = Readonly<{ stream: string; position: number | string }>;

/**
 * Checks an event against its schema before it is stored. Returns the parsed data (unknown keys
 * stripped) so that what is stored is exactly what the schema describes.
 */
export function validateNewEvent<E extends FulfillmentEvent>(event: E): E {
  if (!isKnownEventType(event.type)) {
    throw new EventSchemaError(event.type, '(type)', `unknown event type "${event.type}": add it to the event catalog`);
  }
  const result = (eventCatalog[event.type] as CatalogEntry).schema.safeParse(event.data);
  if (!result.success) throw schemaError(event.type, result.error);
  return { ...event, data: result.data } as E;
}

export const currentSchemaVersion = (type: FulfillmentEvent['type']): number => eventCatalog[type].schemaVersion;

/**
 * Turns a stored row back into a current-version event: upcasts from its stored schema version,
 * then validates. Anything that cannot be read is an EventDecodingError naming stream and position,
 * never a silently skipped event.
 */
export function decodeStoredEvent(
  row: Readonly<{ type: string; schemaVersion: number; data: unknown }>,
  origin: StoredEventOrigin,
): FulfillmentEvent {
  if (!isKnownEventType(row.type)) {
    throw new EventDecodingError(origin, `unknown event type "${row.type}" with no upcaster`);
  }
  const entry = eventCatalog[row.type] as CatalogEntry;
  if (!Number.isInteger(row.schemaVersion) || row.schemaVersion < 1 || row.schemaVersion > entry.schemaVersion) {
    throw new EventDecodingError(
      origin,
      `${row.type} has schemaVersion ${row.schemaVersion}; this build reads 1 to ${entry.schemaVersion}`,
    );
  }
  let data = row.data;
  for (let version = row.schemaVersion; version < entry.schemaVersion; version++) {
    data = entry.upcasters[version]!(data);
  }
  const result = entry.schema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new EventDecodingError(origin, `${row.type} data is invalid at "${issue.path.join('.')}": ${issue.message}`);
  }
  return { type: row.type, data: result.data } as FulfillmentEvent;
}

/** Parses a JSON column, naming the row when it is not JSON. */
export function parseJsonColumn(text: unknown, column: string, origin: StoredEventOrigin): unknown {
  if (typeof text !== 'string') return text;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new EventDecodingError(origin, `${column} is not valid JSON (${(error as Error).message})`);
  }
}

function schemaError(type: string, error: z.ZodError): EventSchemaError {
  const issue = error.issues[0]!;
  const field = issue.path.join('.') || '(data)';
  return new EventSchemaError(type, field, issue.message);
}
