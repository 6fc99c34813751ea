import Database from 'better-sqlite3';
import { ConcurrencyError } from '../../application/errors';
import type {
  AppendOptions,
  AppendResult,
  EventStore,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
} from '../../application/ports/eventStore';
import { configureSqliteConnection } from '../database/knexClient';
import { AppendNotifier } from './appendNotifier';
import { EventIdReusedError } from './eventIdReusedError';
import {
  assertExpectedRevision,
  checkExpectedRevision,
  eventColumns,
  fromEventRow,
  NO_STREAM,
  repeatedAppendResult,
  toNewEventRows,
  type EventRow,
  type NewEventRow,
} from './eventRows';

/**
 * The embedded event store: the `events` table of the event store's own SQLite file, written with
 * better-sqlite3 prepared statements in synchronous transactions (through knex an append costs
 * about four times as much).
 *
 * Gap safety is free here: SQLite has one writer at a time and an append assigns its positions
 * while holding the write lock (BEGIN IMMEDIATE), so events commit in position order and a reader
 * only ever sees a prefix of the log.
 */
type StoredIdRow = Pick<EventRow, 'event_id' | 'stream_id' | 'stream_revision' | 'position'>;

export class SqliteEventStore implements EventStore {
  private readonly notifier = new AppendNotifier();
  private readonly statements;
  private readonly appendRows;

  constructor(readonly db: Database.Database) {
    this.statements = {
      streamHead: db.prepare<[string], { revision: number; position: number }>(
        'SELECT stream_revision AS revision, position FROM events WHERE stream_id = ? ORDER BY stream_revision DESC LIMIT 1',
      ),
      insert: db.prepare<[string, number, string, string, number, string, string, string]>(
        `INSERT INTO events (stream_id, stream_revision, event_id, type, schema_version, data, metadata, occurred_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      storedId: db.prepare<[string], StoredIdRow>(
        'SELECT event_id, stream_id, stream_revision, position FROM events WHERE event_id = ?',
      ),
      readStream: db.prepare<[string, number, number], EventRow>(
        `SELECT ${eventColumns} FROM events WHERE stream_id = ? AND stream_revision >= ? ORDER BY stream_revision LIMIT ?`,
      ),
      head: db.prepare<[], { head: number }>('SELECT COALESCE(MAX(position), 0) AS head FROM events'),
      readAll: db.prepare<[number, number], EventRow>(
        `SELECT ${eventColumns} FROM events WHERE position > ? ORDER BY position LIMIT ?`,
      ),
    };
    this.appendRows = db.transaction(
      (stream: string, rows: readonly NewEventRow[], options: AppendOptions): AppendResult => {
        const head = this.statements.streamHead.get(stream);
        const current = head?.revision ?? NO_STREAM;
        checkExpectedRevision(stream, options.expectedRevision ?? 'any', current);
        let lastPosition = head?.position ?? 0;
        rows.forEach((row, index) => {
          const { lastInsertRowid } = this.statements.insert.run(
            stream,
            current + 1 + index,
            row.eventId,
            row.type,
            row.schemaVersion,
            row.data,
            row.metadata,
            row.occurredAt,
          );
          lastPosition = Number(lastInsertRowid);
        });
        return { nextExpectedRevision: current + rows.length, lastPosition };
      },
    );
  }

  /** Opens the event store file (migrated already, see databases.ts) on a connection of its own. */
  static open(filename: string): SqliteEventStore {
    const db = new Database(filename);
    configureSqliteConnection(db);
    try {
      return new SqliteEventStore(db);
    } catch (error) {
      db.close();
      if (!/no such table/.test((error as Error).message)) throw error;
      throw new Error(`the event store file ${filename} has no events table: run \`fulfillment migrate\` first`, {
        cause: error,
      });
    }
  }

  async appendToStream(
    stream: string,
    events: readonly NewEvent[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    assertExpectedRevision(options.expectedRevision ?? 'any');
    const rows = toNewEventRows(events);
    let result: AppendResult;
    try {
      result = this.appendRows.immediate(stream, rows, options);
    } catch (error) {
      if (!isConflict(error) || rows.length === 0) throw error;
      const eventIds = rows.map((row) => row.eventId);
      const stored = eventIds.flatMap((id) => this.statements.storedId.all(id));
      const repeated = repeatedAppendResult(stream, eventIds, stored);
      if (repeated) return repeated;
      throw stored.length > 0 ? new EventIdReusedError(stream) : error;
    }
    this.notifier.notify(result.lastPosition);
    return result;
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const rows = this.statements.readStream.all(stream, options.fromRevision ?? 0, options.maxCount ?? -1);
    return rows.map(fromEventRow);
  }

  async readAll({ after, maxCount }: ReadAllOptions): Promise<RecordedEvent[]> {
    return this.statements.readAll.all(after, maxCount).map(fromEventRow);
  }

  async headPosition(): Promise<number> {
    return this.statements.head.get()!.head;
  }

  waitForEvents(after: number, timeoutMs: number): Promise<void> {
    return this.notifier.wait(after, timeoutMs);
  }

  async close(): Promise<void> {
    this.notifier.close();
    if (this.db.open) this.db.close();
  }
}

/**
 * A ConcurrencyError from the revision check, or a unique key (event id) that is taken. The
 * SQLite error is recognised by its code, not by `instanceof SqliteError`: the native addon keeps
 * the error class of the first module instance that loaded it, so where modules are loaded more
 * than once in a process (jest's per-file registries) the class check fails.
 */
function isConflict(error: unknown): boolean {
  return error instanceof ConcurrencyError || (error as { code?: unknown } | null)?.code === 'SQLITE_CONSTRAINT_UNIQUE';
}
