import Database from 'better-sqlite3';
import { ConcurrencyError } from '../../application/errors';
import type {
  AppendOptions,
  AppendResult,
  EventStore,
  NewEvent,
  PartitionsRead,
  ReadAllOptions,
  ReadPartitionsOptions,
  ReadStreamOptions,
  RecordedEvent,
} from '../../application/ports/eventStore';
import { configureSqliteConnection } from '../database/knexClient';
import { isUniqueViolation } from '../database/uniqueViolation';
import { AppendNotifier } from './appendNotifier';
import { EventIdReusedError } from './eventIdReusedError';
import {
  assertExpectedRevision,
  checkExpectedRevision,
  eventColumns,
  fromEventRow,
  partitionCondition,
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
 *
 * Group commit: a commit costs far more than the inserts it makes durable, so the appends asked
 * for in one turn of the event loop (sagas reacting at once, workers reporting at once) share one
 * transaction. Each runs in a savepoint of its own, in the order asked, so one append's conflict
 * or duplicate id rolls back that append alone and answers only its caller — as if they had
 * committed one after the other. Callers are answered, and followers woken, after the commit.
 */
type StoredIdRow = Pick<EventRow, 'event_id' | 'stream_id' | 'stream_revision' | 'position'>;

type PendingAppend = Readonly<{
  stream: string;
  rows: readonly NewEventRow[];
  options: AppendOptions;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}>;

type AppendOutcome =
  Readonly<{ ok: true; result: AppendResult; stored: boolean }> | Readonly<{ ok: false; error: unknown }>;

export class SqliteEventStore implements EventStore {
  private readonly notifier: AppendNotifier;
  private readonly statements;
  private readonly appendRows;
  private readonly appendGroup;
  private pending: PendingAppend[] = [];
  private readonly partitionReads = new Map<string, Database.Statement<unknown[], EventRow>>();

  constructor(readonly db: Database.Database) {
    this.notifier = new AppendNotifier(db.name);
    this.statements = {
      streamHead: db.prepare<[string], { revision: number; position: number }>(
        'SELECT stream_revision AS revision, position FROM events WHERE stream_id = ? ORDER BY stream_revision DESC LIMIT 1',
      ),
      insert: db.prepare<[string, number, string, string, number, string, string, string, number]>(
        `INSERT INTO events (stream_id, stream_revision, event_id, type, schema_version, data, metadata, occurred_at, saga_hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
            row.sagaHash,
          );
          lastPosition = Number(lastInsertRowid);
        });
        return { nextExpectedRevision: current + rows.length, lastPosition };
      },
    );
    this.appendGroup = db.transaction((group: readonly PendingAppend[]) =>
      group.map((append) => this.appendOne(append)),
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
    const rows = toNewEventRows(stream, events);
    return new Promise((resolve, reject) => {
      if (this.pending.length === 0) setImmediate(() => this.commitPending());
      this.pending.push({ stream, rows, options, resolve, reject });
    });
  }

  /** Commits the appends asked for since the last group, then answers each caller. */
  private commitPending(): void {
    const group = this.pending;
    this.pending = [];
    let outcomes: AppendOutcome[];
    try {
      outcomes = this.appendGroup.immediate(group);
    } catch (error) {
      // Nothing was committed (the write lock, the commit or the transaction itself failed).
      for (const append of group) append.reject(error);
      return;
    }
    let lastStored = 0;
    for (const outcome of outcomes)
      if (outcome.ok && outcome.stored) lastStored = Math.max(lastStored, outcome.result.lastPosition);
    if (lastStored > 0) this.notifier.notify(lastStored);
    outcomes.forEach((outcome, index) => {
      if (outcome.ok) group[index]!.resolve(outcome.result);
      else group[index]!.reject(outcome.error);
    });
  }

  /**
   * One append of a group, in a savepoint of its own. A conflict is told apart from a repeat of an
   * append stored already (the same result again). An error that has ended the whole transaction
   * (SQLite rolls back on some I/O errors) fails the group.
   */
  private appendOne({ stream, rows, options }: PendingAppend): AppendOutcome {
    try {
      return { ok: true, result: this.appendRows(stream, rows, options), stored: true };
    } catch (error) {
      if (!this.db.inTransaction) throw error;
      if (!isConflict(error) || rows.length === 0) return { ok: false, error };
      const eventIds = rows.map((row) => row.eventId);
      const stored = eventIds.flatMap((id) => this.statements.storedId.all(id));
      const repeated = repeatedAppendResult(stream, eventIds, stored);
      if (repeated) return { ok: true, result: repeated, stored: false };
      // Stored events at a revision that no longer holds are a stale caller (a redelivered batch
      // longer than the first): the revision conflict is what it must hear, to reload.
      const reused = stored.length > 0 && !(error instanceof ConcurrencyError);
      return { ok: false, error: reused ? new EventIdReusedError(stream) : error };
    }
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const rows = this.statements.readStream.all(stream, options.fromRevision ?? 0, options.maxCount ?? -1);
    return rows.map(fromEventRow);
  }

  async readAll({ after, maxCount }: ReadAllOptions): Promise<RecordedEvent[]> {
    return this.statements.readAll.all(after, maxCount).map(fromEventRow);
  }

  /** One writer commits in position order: the head read first bounds what the read covers. */
  async readPartitions({ after, maxCount, partitions }: ReadPartitionsOptions): Promise<PartitionsRead> {
    const head = this.statements.head.get()!.head;
    const only = partitionCondition(partitions);
    const rows = this.partitionRead(only.sql).all(after, head, ...only.params, maxCount);
    const events = rows.map(fromEventRow);
    return { events, through: events.length < maxCount ? Math.max(after, head) : events.at(-1)!.position };
  }

  async headPosition(): Promise<number> {
    return this.statements.head.get()!.head;
  }

  /** A follower reads the same shape on every batch: its statement is prepared once, by condition. */
  private partitionRead(condition: string): Database.Statement<unknown[], EventRow> {
    let statement = this.partitionReads.get(condition);
    if (!statement) {
      statement = this.db.prepare<unknown[], EventRow>(
        `SELECT ${eventColumns} FROM events WHERE position > ? AND position <= ?${condition} ORDER BY position LIMIT ?`,
      );
      this.partitionReads.set(condition, statement);
    }
    return statement;
  }

  waitForEvents(after: number, timeoutMs: number): Promise<void> {
    return this.notifier.wait(after, timeoutMs);
  }

  /** Commits the appends still waiting for their group before the connection goes. */
  async close(): Promise<void> {
    if (this.pending.length > 0 && this.db.open) this.commitPending();
    this.notifier.close();
    if (this.db.open) this.db.close();
  }
}

/** A ConcurrencyError from the revision check, or a unique key (event id) that is taken. */
function isConflict(error: unknown): boolean {
  return error instanceof ConcurrencyError || isUniqueViolation(error);
}
