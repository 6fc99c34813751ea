import {
  ANY,
  DeadlineExceededError,
  NO_STREAM,
  NotLeaderError,
  TimeoutError,
  UnavailableError,
  START,
  STREAM_EXISTS,
  type AppendExpectedRevision,
  type CurrentRevision,
  type Position,
  type ReadPosition,
  type WrongExpectedVersionError,
} from '@eventstore/db-client';
import { ConcurrencyError } from '../../../application/errors';
import type { ExpectedRevision } from '../../../application/ports/eventStore';
import { StorageUnavailableError } from '../../database/storageUnavailable';
import { assertExpectedRevision } from '../eventRows';

/**
 * Pure translations between our event store port and EventStoreDB's vocabulary.
 *
 * Positions: the port's position is an event's $all commit position, a byte offset into the
 * transaction log, as a JS number. That is safe to resume from because
 * - appends over gRPC are implicit transactions, so every event gets its own log record and
 *   its commit position equals its prepare position: the number names exactly one event, and
 *   `{ commit: n, prepare: n }` rebuilds the full position for a read;
 * - the log is written by one writer in order and an event is readable only once committed, so
 *   a lower position can never show up after a higher one has been read (no gaps to wait for);
 * - the first record of the log is the epoch record at offset 0, so every event is above 0;
 * - a log would need to pass 8 PiB before it stops fitting a number exactly; we check anyway.
 */

export function toEsdbExpectedRevision(expected: ExpectedRevision): AppendExpectedRevision {
  switch (expected) {
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    case 'any':
      return ANY;
    default:
      assertExpectedRevision(expected);
      return BigInt(expected);
  }
}

/** EventStoreDB's conflict, in our words: the expected and actual revision as the port names them. */
export function toConcurrencyError(stream: string, error: WrongExpectedVersionError): ConcurrencyError {
  return new ConcurrencyError(stream, describeRevision(error.expectedVersion), describeRevision(error.actualVersion));
}

function describeRevision(revision: AppendExpectedRevision | CurrentRevision | undefined): string {
  return typeof revision === 'bigint' ? revision.toString(10) : String(revision ?? 'unknown');
}

export function positionToNumber(commit: bigint): number {
  if (commit < 0n || commit > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`EventStoreDB commit position ${commit} does not fit a safe integer`);
  }
  return Number(commit);
}

/** Where to start reading for "events above `after`"; EventStoreDB's reads include the start itself. */
export function toReadPosition(after: number): ReadPosition {
  if (!Number.isSafeInteger(after) || after < 0) throw new RangeError(`position must be 0 or more; got ${after}`);
  if (after === 0) return START;
  const position: Position = { commit: BigInt(after), prepare: BigInt(after) };
  return position;
}

/** Events EventStoreDB writes for itself (stream metadata, statistics, links, our checkpoints). */
export const isSystemEvent = (event: Readonly<{ streamId: string; type: string }>): boolean =>
  event.type.startsWith('$') || event.streamId.startsWith('$');

/**
 * A position EventStoreDB actually reported. Servers before 22.6 leave events read from a stream
 * without one (0 or 2^64 - 1 on the wire), and an append recognised as a repeat reports none.
 */
export function knownPosition(position: Position | undefined): number | undefined {
  if (position === undefined || position.commit === 0n || position.commit === noPosition) return undefined;
  return positionToNumber(position.commit);
}

const noPosition = 2n ** 64n - 1n;

/** The commit position of an event read from a stream, which servers before 22.6 do not return. */
export function commitPositionOf(event: Readonly<{ streamId: string; revision: bigint; position?: Position }>): number {
  const position = knownPosition(event.position);
  if (position === undefined) {
    throw new Error(
      `EventStoreDB returned no $all position for revision ${event.revision} of stream ${event.streamId}: ` +
        'use EventStoreDB 22.6 or later',
    );
  }
  return position;
}

/**
 * The client's errors that say the server is away for now — unreachable, electing a leader, not
 * answering in time — as our storage unavailable: a request then answers 503 with Retry-After, a
 * job's try is deferred without spending an attempt, a follower retries. Any other error is kept.
 */
export function toStorageError(error: unknown): unknown {
  const away =
    error instanceof UnavailableError ||
    error instanceof NotLeaderError ||
    error instanceof DeadlineExceededError ||
    error instanceof TimeoutError;
  return away ? new StorageUnavailableError(error) : error;
}
