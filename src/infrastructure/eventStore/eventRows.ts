import { partitionKeyOf, sagaHash, type PartitionFilter } from '../../application/partitions/sagaPartitions';
import { EventDecodingError, EventSchemaError, ConcurrencyError } from '../../application/errors';
import {
  currentSchemaVersion,
  decodeStoredEvent,
  parseJsonColumn,
  validateNewEvent,
} from '../../application/eventCatalog';
import type { ExpectedRevision, NewEvent, RecordedEvent } from '../../application/ports/eventStore';
import type { EventMetadata } from '../../domain/events';

/**
 * How events map to rows of the `events` table, shared by the SQLite and MariaDB adapters.
 * `event_id` and `schema_version` have columns of their own, so the metadata JSON holds the rest.
 */
export type EventRow = Readonly<{
  position: number;
  stream_id: string;
  stream_revision: number;
  event_id: string;
  type: string;
  schema_version: number;
  data: string;
  metadata: string;
}>;

/** A validated event ready to insert; its revision is assigned by the adapter. */
export type NewEventRow = Readonly<{
  eventId: string;
  type: string;
  schemaVersion: number;
  data: string;
  metadata: string;
  /** `YYYY-MM-DD HH:MM:SS.mmm` in UTC, what both databases accept for DATETIME(3). */
  occurredAt: string;
  /** The stable hash of the event's saga, which places it in a partition (sagaPartitions.ts). */
  sagaHash: number;
}>;

export const eventColumns = 'position, stream_id, stream_revision, event_id, type, schema_version, data, metadata';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Validates each event against the catalog and its metadata, and stamps the current schema version. */
export function toNewEventRows(stream: string, events: readonly NewEvent[]): NewEventRow[] {
  return events.map((event) => {
    const { data, type } = validateNewEvent(event);
    const { eventId, schemaVersion: _ignored, ...metadata } = event.metadata ?? ({} as EventMetadata);
    if (typeof eventId !== 'string' || !uuidPattern.test(eventId)) {
      throw new EventSchemaError(type, 'metadata.eventId', 'must be a UUID');
    }
    const occurredAt = new Date(metadata.occurredAt);
    if (typeof metadata.occurredAt !== 'string' || Number.isNaN(occurredAt.getTime())) {
      throw new EventSchemaError(type, 'metadata.occurredAt', 'must be an ISO-8601 instant');
    }
    return {
      eventId: eventId.toLowerCase(),
      type,
      schemaVersion: currentSchemaVersion(type),
      data: JSON.stringify(data),
      metadata: JSON.stringify(metadata),
      occurredAt: occurredAt.toISOString().slice(0, 23).replace('T', ' '),
      sagaHash: sagaHash(partitionKeyOf(event, stream)),
    };
  });
}

/** Reads a row back as a current-version event; a row that cannot be read names its stream and position. */
export function fromEventRow(row: EventRow): RecordedEvent {
  const origin = { stream: row.stream_id, position: row.position };
  const data = parseJsonColumn(row.data, 'data', origin);
  const metadata = parseJsonColumn(row.metadata, 'metadata', origin);
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new EventDecodingError(origin, 'metadata is not a JSON object');
  }
  const event = decodeStoredEvent({ type: row.type, schemaVersion: row.schema_version, data }, origin);
  // The parsed object is ours alone: completing it in place saves a copy per event read.
  const completed = metadata as { -readonly [K in keyof EventMetadata]: EventMetadata[K] };
  completed.eventId = row.event_id;
  completed.schemaVersion = currentSchemaVersion(event.type);
  return {
    type: event.type,
    data: event.data,
    metadata: completed,
    stream: row.stream_id,
    revision: row.stream_revision,
    position: row.position,
  } as RecordedEvent;
}

/** The stream's revision as the port names it: -1 means the stream does not exist. */
export const NO_STREAM = -1;

/** Throws the ConcurrencyError for an expected revision the stream is not at. */
export function checkExpectedRevision(stream: string, expected: ExpectedRevision, current: number): void {
  const matches =
    expected === 'any' ||
    (expected === 'no_stream' && current === NO_STREAM) ||
    (expected === 'stream_exists' && current !== NO_STREAM) ||
    expected === current;
  if (!matches)
    throw new ConcurrencyError(stream, String(expected), current === NO_STREAM ? 'no_stream' : String(current));
}

/** An expected revision must be a known word or the revision (0 or more) of a stream's last event. */
export function assertExpectedRevision(expected: ExpectedRevision): void {
  if (typeof expected === 'number' && !(Number.isInteger(expected) && expected >= 0)) {
    throw new RangeError(
      `expected revision ${expected} is not a stream revision: pass the revision of the stream's last event (0 or more) or 'no_stream'`,
    );
  }
}

/**
 * What an append that was stored already returns: the same result as the first time, when every
 * event id is stored in this stream. Undefined when it is not a repeat.
 */
export function repeatedAppendResult(
  stream: string,
  eventIds: readonly string[],
  stored: readonly Readonly<{ event_id: string; stream_id: string; stream_revision: number; position: number }>[],
) {
  const byId = new Map(stored.map((row) => [row.event_id, row]));
  const rows = eventIds.map((id) => byId.get(id));
  if (rows.some((row) => row === undefined || row.stream_id !== stream)) return undefined;
  const last = rows.reduce((a, b) => (b!.position > a!.position ? b : a))!;
  return { nextExpectedRevision: last.stream_revision, lastPosition: last.position };
}

/**
 * The WHERE condition that keeps a read to some saga partitions, on the stored hash; none when
 * every partition is read (the default of one process owning them all costs nothing more).
 */
export function partitionCondition(filter: PartitionFilter | undefined): Readonly<{ sql: string; params: number[] }> {
  if (!filter || filter.owned.length >= filter.count) return { sql: '', params: [] };
  if (filter.owned.length === 0) return { sql: ' AND 1 = 0', params: [] };
  return {
    sql: ` AND saga_hash % ? IN (${filter.owned.map(() => '?').join(', ')})`,
    params: [filter.count, ...filter.owned],
  };
}
