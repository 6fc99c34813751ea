import { createPool, type Pool, type PoolConnection, type ResultSetHeader } from 'mysql2/promise';
import { ConcurrencyError } from '../../application/errors';
import type { PartitionFilter } from '../../application/partitions/sagaPartitions';
import type {
  AppendOptions,
  AppendResult,
  EventStore,
  ExpectedRevision,
  NewEvent,
  PartitionsRead,
  ReadAllOptions,
  ReadPartitionsOptions,
  ReadStreamOptions,
  RecordedEvent,
} from '../../application/ports/eventStore';
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
 * The production event store: the `events` table in MariaDB/MySQL.
 *
 * Gap safety. Concurrent appenders get their auto-increment positions when they insert but may
 * commit in another order, so a follower reading `position > checkpoint` could move past a
 * position whose event commits a moment later and never see it. Here every append takes a SHARED
 * lock on the one row of `events_append_lock` before it inserts; appenders never wait for each
 * other. `readAll` only returns events up to a safe high-water mark, computed in a short
 * transaction that takes the EXCLUSIVE lock on that row (granted only once every in-flight append
 * has committed or rolled back; appends that start meanwhile wait) and reads MAX(position). Every
 * position at or below the mark is then final, and every later append gets a higher one.
 *
 * One statement per append. An append is a single INSERT in autocommit mode that reads the lock
 * row LOCK IN SHARE MODE itself, so there is no explicit transaction and no extra statement:
 * - with a number as expected revision, `INSERT … SELECT … FROM events_append_lock WHERE id = 1
 *   AND EXISTS (the stream's event at that revision) LOCK IN SHARE MODE`;
 * - otherwise `INSERT … VALUES ((SELECT ? FROM events_append_lock WHERE id = 1 LOCK IN SHARE
 *   MODE), …), (…)`. A plain INSERT … VALUES is a "simple insert" to InnoDB: its positions are
 *   reserved at once, consecutive and without holes, and it does not hold the table's AUTO-INC
 *   lock for the whole statement. (An INSERT … SELECT of several rows reserves 1, 2, 4, … and
 *   leaves holes, which inflate the projection lag computed from positions; only several-event
 *   appends with a number as expected revision still pay that, as they did before.)
 * Why the shared lock covers each position until its row is committed:
 * - the lock row is read, by the SELECT's const-table lookup or by the subquery in the first row's
 *   values, before the first row is written, and positions are only reserved when a row is
 *   written; so an append that waits for the lock has no position yet;
 * - InnoDB releases a transaction's row locks only when it commits or rolls back, and an
 *   autocommit statement is a transaction of its own that commits as the statement ends; so the
 *   lock is held from before the position exists until the row is committed.
 * Checked against MariaDB 10.11 (autocommit, innodb_autoinc_lock_mode 1), for both forms: while
 * another session held `FOR UPDATE` on the lock row, the statement waited with nothing inserted
 * and the auto-increment counter unchanged; and while a statement had inserted its first row
 * (visible READ UNCOMMITTED) but was still running, `SELECT … FOR UPDATE` on the lock row waited
 * until it had committed, then saw its rows. Commits still land out of position order (the AUTO-INC
 * lock, where taken, is released at the end of the statement, before the commit): with 16
 * autocommit writers and no artificial delay, a reader without the mark missed about 2% of 8,000
 * events, so the mark is still needed.
 *
 * Cost: a reader that has caught up with its cached mark briefly holds new appends back while it
 * waits for the in-flight ones (a few milliseconds under load). Readers behind the mark read
 * without locking. The alternative, serialising appends behind an exclusive lock, would cap
 * appends at one commit at a time.
 *
 * Group commit. Appends asked for in one turn of the event loop (a reactor batch's sagas, workers
 * reporting at once, concurrent requests) are sent as ONE multi-row INSERT, each append's first
 * row guarded as a lone append's is, with a read of each append's last position in the same round
 * trip: one statement, one commit, one round trip for the group instead of one each. The INSERT is
 * atomic, so if any append in it conflicts, repeats stored events or breaks its guard, nothing of
 * the group is stored and each append is then made alone, exactly as if they had come one at a
 * time: only the one at fault answers with its error. Appends that must read their stream's
 * revision first (`any`, `stream_exists`) go alone.
 *
 * Speed. The adapter talks to mysql2 directly rather than through knex. A one-event append is one
 * prepared statement (`pool.execute`) whose insert id is the event's position. A several-event
 * append (one statement, so atomic) is followed in the same round trip by a read of its last
 * position, which does not rely on how a lock mode numbers a statement's rows. With a number as
 * expected revision the INSERT only happens if the stream's event at that revision exists, and the
 * unique (stream_id, stream_revision) key rejects a concurrent append, so conflicts are detected
 * without a prior SELECT.
 */
export type MysqlEventStoreOptions = Readonly<{
  connectionLimit?: number;
  /**
   * Tests only: runs each append's statement in an explicit transaction that waits this many
   * seconds before committing, standing in for a slow commit to force out-of-order commits.
   */
  holdAppendTransaction?: () => number;
}>;

type StoredIdRow = Pick<EventRow, 'event_id' | 'stream_id' | 'stream_revision' | 'position'>;

type PendingAppend = Readonly<{
  stream: string;
  rows: readonly NewEventRow[];
  expected: number | 'no_stream';
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}>;

const insertColumns =
  'stream_id, stream_revision, event_id, type, schema_version, data, metadata, occurred_at, saga_hash';
/** One row's values. */
const rowValues = '?, ?, ?, ?, ?, ?, ?, ?, ?';
/** The first row's values of an INSERT … VALUES: its stream id comes through the locking read. */
const firstRowValues = '(SELECT ? FROM events_append_lock WHERE id = 1 LOCK IN SHARE MODE), ?, ?, ?, ?, ?, ?, ?, ?';
/** The first SELECT of several rows names its columns (MariaDB rejects duplicate names like `1`). */
const firstRowSelect = `SELECT ${insertColumns
  .split(', ')
  .map((column) => `? AS ${column}`)
  .join(', ')}`;
const selectLastPosition = 'SELECT position FROM events WHERE stream_id = ? AND stream_revision = ?';
/**
 * A grouped append's first row when it names a revision: its stream id comes through a read that
 * takes the shared append lock and finds the stream's event at that revision; without it the id is
 * NULL, the INSERT fails whole, and the appends of the group are made alone.
 */
const guardedStreamId =
  '(SELECT ? FROM events_append_lock WHERE id = 1 AND EXISTS (SELECT 1 FROM events WHERE stream_id = ? AND stream_revision = ?) LOCK IN SHARE MODE)';
/** Retries of an `any`/`stream_exists` append that lost a race for the next revision. */
const maxRevisionRaces = 20;

export class MysqlEventStore implements EventStore {
  private readonly notifier: AppendNotifier;
  private safeMark = 0;
  private markRefresh: Promise<number> | undefined;
  private pending: PendingAppend[] = [];
  private closed = false;

  constructor(
    readonly pool: Pool,
    private readonly options: MysqlEventStoreOptions = {},
    /** Names the database to the followers of other threads (see AppendNotifier). */
    database?: string,
  ) {
    this.notifier = new AppendNotifier(database);
  }

  static open(url: string, options: MysqlEventStoreOptions = {}): MysqlEventStore {
    const pool = createPool({
      uri: url,
      multipleStatements: true,
      supportBigNumbers: true,
      bigNumberStrings: false,
      timezone: 'Z',
      connectionLimit: options.connectionLimit ?? 24,
      // A database that does not answer fails a command in seconds (a 503 to retry), not in ten.
      connectTimeout: 3_000,
      // No stack captured for every statement in case it fails (its cost is paid by every append
      // and read, and by the collector): a failure still carries its code, message and SQL.
      trace: false,
    });
    return new MysqlEventStore(pool, options, url);
  }

  async appendToStream(
    stream: string,
    events: readonly NewEvent[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    const expected = options.expectedRevision ?? 'any';
    assertExpectedRevision(expected);
    const rows = toNewEventRows(stream, events);
    if (rows.length === 0) return this.appendNothing(stream, expected);
    if (this.options.holdAppendTransaction || expected === 'any' || expected === 'stream_exists') {
      return this.appendAlone(stream, rows, expected);
    }
    return new Promise((resolve, reject) => {
      if (this.pending.length === 0) setImmediate(() => void this.commitPending());
      this.pending.push({ stream, rows, expected, resolve, reject });
    });
  }

  /** Sends the appends asked for since the last group as one INSERT, or alone when that fails. */
  private async commitPending(): Promise<void> {
    const group = this.pending;
    this.pending = [];
    // One append per stream in a statement: a second one for the same stream follows the first.
    const first = new Map<string, PendingAppend>();
    const later: PendingAppend[] = [];
    for (const append of group) {
      if (first.has(append.stream)) later.push(append);
      else first.set(append.stream, append);
    }
    const together = [...first.values()];
    if (together.length > 1) {
      try {
        const lastPositions = await this.insertGroup(together);
        this.notifier.notify(Math.max(...lastPositions));
        together.forEach((append, index) =>
          append.resolve({
            nextExpectedRevision: revisionAfter(append),
            lastPosition: lastPositions[index]!,
          }),
        );
      } catch {
        await Promise.all(together.map((append) => this.settleAlone(append)));
      }
    } else {
      await Promise.all(together.map((append) => this.settleAlone(append)));
    }
    for (const append of later) await this.settleAlone(append);
  }

  private settleAlone(append: PendingAppend): Promise<void> {
    return this.appendAlone(append.stream, append.rows, append.expected).then(append.resolve, append.reject);
  }

  /** One append on its own: one statement, retried when it loses a race for the next revision. */
  private async appendAlone(
    stream: string,
    rows: readonly NewEventRow[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    for (let race = 1; ; race++) {
      try {
        const result = await this.insert(stream, rows, await this.revisionToFollow(stream, expected));
        this.notifier.notify(result.lastPosition);
        return result;
      } catch (error) {
        const conflict = error instanceof ConcurrencyError || isUniqueViolation(error);
        if (!conflict) throw error;
        const repeated = await this.repeatedAppend(stream, rows);
        if (repeated) return repeated;
        if (isUniqueViolation(error) && String((error as Error).message).includes('events_event_id_unique')) {
          // Stored events at a revision that no longer holds are a stale caller (a redelivered
          // batch longer than the first): the revision conflict is what it must hear, to reload.
          checkExpectedRevision(stream, expected, await this.streamRevision(stream));
          throw new EventIdReusedError(stream);
        }
        const resolvesItsOwnRevision = expected === 'any' || expected === 'stream_exists';
        if (isUniqueViolation(error) && resolvesItsOwnRevision && race < maxRevisionRaces) continue;
        if (error instanceof ConcurrencyError) throw error;
        throw new ConcurrencyError(stream, String(expected), revisionName(await this.streamRevision(stream)));
      }
    }
  }

  /**
   * The group's one INSERT and a read of each append's last position, in one round trip. The very
   * first row takes the shared append lock; each append's first row carries its guard.
   */
  private async insertGroup(appends: readonly PendingAppend[]): Promise<number[]> {
    const tuples: string[] = [];
    const parameters: (string | number)[] = [];
    for (const [index, append] of appends.entries()) {
      const follow = {
        revision: append.expected === 'no_stream' ? NO_STREAM : append.expected,
        mustExist: append.expected !== 'no_stream',
      };
      append.rows.forEach((row, offset) => {
        const revision = follow.revision + 1 + offset;
        const values = [row.eventId, row.type, row.schemaVersion, row.data, row.metadata, row.occurredAt, row.sagaHash];
        if (offset > 0) {
          tuples.push(`(${rowValues})`);
          parameters.push(append.stream, revision, ...values);
        } else if (follow.mustExist) {
          tuples.push(`(${guardedStreamId}, ${rowValues.slice(3)})`);
          parameters.push(append.stream, append.stream, follow.revision, revision, ...values);
        } else {
          tuples.push(`(${index === 0 ? firstRowValues : rowValues})`);
          parameters.push(append.stream, revision, ...values);
        }
      });
    }
    const lastRevisions = appends.map(() => '(?, ?)').join(', ');
    const sql = [
      `INSERT INTO events (${insertColumns}) VALUES ${tuples.join(', ')}`,
      `SELECT stream_id, position FROM events WHERE (stream_id, stream_revision) IN (${lastRevisions})`,
    ].join(';\n');
    for (const append of appends) parameters.push(append.stream, revisionAfter(append));
    const [results] = await this.pool.query(sql, parameters);
    const positions = (results as unknown[])[1] as { stream_id: string; position: number }[];
    const byStream = new Map(positions.map((row) => [row.stream_id, Number(row.position)]));
    return appends.map((append) => byStream.get(append.stream)!);
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const [rows] = await this.pool.query(
      `SELECT ${eventColumns} FROM events WHERE stream_id = ? AND stream_revision >= ? ORDER BY stream_revision LIMIT ?`,
      [stream, options.fromRevision ?? 0, options.maxCount ?? Number.MAX_SAFE_INTEGER],
    );
    return (rows as EventRow[]).map(fromEventRow);
  }

  async readAll(options: ReadAllOptions): Promise<RecordedEvent[]> {
    return (await this.readSafely(options)).events;
  }

  readPartitions(options: ReadPartitionsOptions): Promise<PartitionsRead> {
    return this.readSafely(options, options.partitions);
  }

  /** Up to the safe mark (no lower position can still commit): what the read covered. */
  private async readSafely({ after, maxCount }: ReadAllOptions, partitions?: PartitionFilter): Promise<PartitionsRead> {
    const mark = after < this.safeMark ? this.safeMark : await this.refreshSafeMark();
    if (after >= mark) return { events: [], through: after };
    const only = partitionCondition(partitions);
    const [rows] = await this.pool.execute(
      `SELECT ${eventColumns} FROM events WHERE position > ? AND position <= ?${only.sql} ORDER BY position LIMIT ?`,
      [after, mark, ...only.params, maxCount],
    );
    const events = (rows as EventRow[]).map(fromEventRow);
    return { events, through: events.length < maxCount ? mark : events.at(-1)!.position };
  }

  waitForEvents(after: number, timeoutMs: number): Promise<void> {
    return this.notifier.wait(after, timeoutMs);
  }

  async headPosition(): Promise<number> {
    const [rows] = await this.pool.query('SELECT COALESCE(MAX(position), 0) AS head FROM events');
    return Number((rows as { head: number | string }[])[0]!.head);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.notifier.close();
    await this.pool.end();
  }

  /**
   * The revision the new events follow, and whether the store must check that it exists: a
   * caller's number must (the stream may not have reached it); a revision just read need not.
   */
  private async revisionToFollow(stream: string, expected: ExpectedRevision): Promise<Follow> {
    if (expected === 'no_stream') return { revision: NO_STREAM, mustExist: false };
    if (typeof expected === 'number') return { revision: expected, mustExist: true };
    const current = await this.streamRevision(stream);
    checkExpectedRevision(stream, expected, current);
    return { revision: current, mustExist: false };
  }

  /** One round trip: the INSERT takes the shared lock and commits. Inserting nothing is a conflict. */
  private async insert(stream: string, rows: readonly NewEventRow[], follow: Follow): Promise<AppendResult> {
    const insert = insertStatement(stream, rows, follow);
    const lastRevision = follow.revision + rows.length;
    const hold = this.options.holdAppendTransaction?.();
    const lastPosition =
      rows.length === 1 && hold === undefined
        ? await this.insertOne(insert)
        : await this.insertReadingLastPosition(insert, rows.length, { stream, revision: lastRevision }, hold);
    if (lastPosition === undefined) {
      throw new ConcurrencyError(stream, String(follow.revision), revisionName(await this.streamRevision(stream)));
    }
    return { nextExpectedRevision: lastRevision, lastPosition };
  }

  /** The hot path: one prepared statement, and its insert id is the event's position. */
  private async insertOne({ sql, parameters }: Statement): Promise<number | undefined> {
    const [inserted] = await this.pool.execute<ResultSetHeader>(sql, parameters);
    return inserted.affectedRows === 1 ? Number(inserted.insertId) : undefined;
  }

  /**
   * The insert and a read of the position of the stream's new last event, in one round trip. A
   * held append (tests only) wraps them in a transaction that sleeps before it commits.
   */
  private async insertReadingLastPosition(
    insert: Statement,
    rowCount: number,
    last: Readonly<{ stream: string; revision: number }>,
    hold: number | undefined,
  ): Promise<number | undefined> {
    const statements = [insert.sql, selectLastPosition];
    const parameters = [...insert.parameters, last.stream, last.revision];
    const results =
      hold === undefined
        ? await this.pool.query(statements.join(';\n'), parameters)
        : await this.inTransaction((connection) =>
            connection.query(['START TRANSACTION', ...statements, 'DO SLEEP(?)', 'COMMIT'].join(';\n'), [
              ...parameters,
              hold,
            ]),
          );
    const [inserted, lastRows] = (results[0] as unknown[]).slice(hold === undefined ? 0 : 1) as [
      ResultSetHeader,
      { position: number }[],
    ];
    return inserted.affectedRows === rowCount && lastRows.length > 0 ? Number(lastRows[0]!.position) : undefined;
  }

  /** Runs a multi-statement transaction; a statement that fails leaves it open, so roll it back. */
  private async inTransaction<T>(work: (connection: PoolConnection) => Promise<T>): Promise<T> {
    const connection = await this.pool.getConnection();
    try {
      return await work(connection);
    } catch (error) {
      await connection.query('ROLLBACK').catch(() => connection.destroy());
      throw error;
    } finally {
      connection.release();
    }
  }

  private async appendNothing(stream: string, expected: ExpectedRevision): Promise<AppendResult> {
    const [rows] = await this.pool.query(
      'SELECT stream_revision, position FROM events WHERE stream_id = ? ORDER BY stream_revision DESC LIMIT 1',
      [stream],
    );
    const head = (rows as { stream_revision: number; position: number }[])[0];
    checkExpectedRevision(stream, expected, head?.stream_revision ?? NO_STREAM);
    return { nextExpectedRevision: head?.stream_revision ?? NO_STREAM, lastPosition: head?.position ?? 0 };
  }

  private async streamRevision(stream: string): Promise<number> {
    const [rows] = await this.pool.query('SELECT MAX(stream_revision) AS revision FROM events WHERE stream_id = ?', [
      stream,
    ]);
    return (rows as { revision: number | null }[])[0]?.revision ?? NO_STREAM;
  }

  private async repeatedAppend(stream: string, rows: readonly NewEventRow[]): Promise<AppendResult | undefined> {
    const eventIds = rows.map((row) => row.eventId);
    const [stored] = await this.pool.query(
      'SELECT event_id, stream_id, stream_revision, position FROM events WHERE event_id IN (?)',
      [eventIds],
    );
    return repeatedAppendResult(stream, eventIds, stored as StoredIdRow[]);
  }

  /** Concurrent readers in this process share one refresh. */
  private refreshSafeMark(): Promise<number> {
    this.markRefresh ??= this.computeSafeMark().finally(() => {
      this.markRefresh = undefined;
    });
    return this.markRefresh;
  }

  /**
   * The exclusive lock waits for every append in flight; READ COMMITTED makes MAX(position) a
   * fresh read taken after the lock was granted.
   */
  private async computeSafeMark(): Promise<number> {
    const results = await this.inTransaction((connection) =>
      connection.query(
        [
          'SET TRANSACTION ISOLATION LEVEL READ COMMITTED',
          'START TRANSACTION',
          'SELECT id FROM events_append_lock WHERE id = 1 FOR UPDATE',
          'SELECT COALESCE(MAX(position), 0) AS mark FROM events',
          'COMMIT',
        ].join(';\n'),
      ),
    );
    const mark = Number((results[0] as unknown[] as [unknown, unknown, unknown, { mark: number }[]])[3][0]!.mark);
    if (mark > this.safeMark) this.safeMark = mark;
    return this.safeMark;
  }
}

type Follow = Readonly<{ revision: number; mustExist: boolean }>;

const revisionAfter = (append: PendingAppend) =>
  (append.expected === 'no_stream' ? NO_STREAM : append.expected) + append.rows.length;
type Statement = Readonly<{ sql: string; parameters: (string | number)[] }>;

/** The one INSERT of an append, which takes the shared append lock itself (see the header). */
function insertStatement(stream: string, rows: readonly NewEventRow[], follow: Follow): Statement {
  const values = rows.flatMap((row, index) => [
    stream,
    follow.revision + 1 + index,
    row.eventId,
    row.type,
    row.schemaVersion,
    row.data,
    row.metadata,
    row.occurredAt,
    row.sagaHash,
  ]);
  if (!follow.mustExist) {
    const tuples = rows.map((_, index) => `(${index === 0 ? firstRowValues : rowValues})`);
    return { sql: `INSERT INTO events (${insertColumns}) VALUES ${tuples.join(', ')}`, parameters: values };
  }
  const source =
    rows.length === 1
      ? `SELECT ${rowValues} FROM events_append_lock`
      : `SELECT new_events.* FROM (${[firstRowSelect, ...rows.slice(1).map(() => `SELECT ${rowValues}`)].join(' UNION ALL ')}) AS new_events
         JOIN events_append_lock`;
  return {
    sql: `INSERT INTO events (${insertColumns})
      ${source}
      WHERE events_append_lock.id = 1 AND EXISTS (SELECT 1 FROM events WHERE stream_id = ? AND stream_revision = ?)
      LOCK IN SHARE MODE`,
    parameters: [...values, stream, follow.revision],
  };
}

const revisionName = (revision: number) => (revision === NO_STREAM ? 'no_stream' : String(revision));
