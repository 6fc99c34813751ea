import {
  jsonEvent,
  type EventData,
  type JSONType,
  type RecordedEvent as EsdbRecordedEvent,
} from '@eventstore/db-client';
import { z } from 'zod';
import type { EventMetadata, FulfillmentEvent } from '../../../domain/events';
import { EventDecodingError, EventSchemaError } from '../../../application/errors';
import { currentSchemaVersion, decodeStoredEvent, validateNewEvent } from '../../../application/eventCatalog';
import type { NewEvent, RecordedEvent } from '../../../application/ports/eventStore';
import { commitPositionOf } from './esdbMapping';

/**
 * How our events are stored in EventStoreDB: the event's `type` and `data` as a JSON event, our
 * metadata (schemaVersion included) as the event's JSON metadata, and our `eventId` as
 * EventStoreDB's event id, so the server recognises a repeated append of the same event.
 */

const metadataSchema = z.object({
  eventId: z.uuid(),
  correlationId: z.string().min(1),
  causationId: z.string().min(1),
  occurredAt: z.string().min(1),
  schemaVersion: z.number().int().min(1),
  traceparent: z.string().optional(),
});

/** Validates a new event against the catalog and stamps the current schema version. */
export function toEsdbEvent(event: NewEvent): EventData {
  const checked = validateNewEvent(event as FulfillmentEvent);
  const metadata = metadataSchema.safeParse({ ...event.metadata, schemaVersion: currentSchemaVersion(checked.type) });
  if (!metadata.success) {
    const issue = metadata.error.issues[0]!;
    throw new EventSchemaError(event.type, `metadata.${issue.path.join('.')}`, issue.message);
  }
  // Lower case, as the server hands ids back, so a repeated append is recognised by its ids.
  const eventId = metadata.data.eventId.toLowerCase();
  return jsonEvent({
    id: eventId,
    type: checked.type,
    data: checked.data as JSONType,
    metadata: { ...metadata.data, eventId },
  });
}

/**
 * Turns a stored EventStoreDB event back into ours. Anything unreadable (not JSON, bad metadata,
 * unknown type or version, data that fails its schema) is an EventDecodingError
 * naming the stream and where in it, never a skipped event.
 */
export function fromEsdbEvent(event: EsdbRecordedEvent): RecordedEvent {
  const revision = Number(event.revision);
  const position = commitPositionOf(event);
  const origin = { stream: event.streamId, position };
  if (!event.isJson) throw new EventDecodingError(origin, `${event.type} is stored as binary, not JSON`);

  const metadata = metadataSchema.safeParse(event.metadata);
  if (!metadata.success) {
    const issue = metadata.error.issues[0]!;
    throw new EventDecodingError(origin, `metadata is invalid at "${issue.path.join('.')}": ${issue.message}`);
  }
  const { type, data } = decodeStoredEvent(
    { type: event.type, schemaVersion: metadata.data.schemaVersion, data: event.data },
    origin,
  );
  // The data is upcast to the current version, and the metadata says so, as the SQL adapters do.
  const decoded = {
    type,
    data,
    metadata: { ...metadata.data, schemaVersion: currentSchemaVersion(type) } satisfies EventMetadata,
  };
  return { ...decoded, stream: event.streamId, revision, position } as RecordedEvent;
}
