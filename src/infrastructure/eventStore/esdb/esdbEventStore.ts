import {
  partitionKeyOf,
  partitionOfHash,
  sagaHash,
  type PartitionFilter,
} from '../../../application/partitions/sagaPartitions';
import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  StreamNotFoundError,
  WrongExpectedVersionError,
  excludeSystemEvents,
  type AllStreamRecordedEvent,
  type AppendResult as EsdbAppendResult,
  type RecordedEvent as EsdbRecordedEvent,
} from '@eventstore/db-client';
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
} from '../../../application/ports/eventStore';
import { EventDecodingError } from '../../../application/errors';
import { EventIdReusedError } from '../eventIdReusedError';
import { checkExpectedRevision, NO_STREAM } from '../eventRows';
import { fromEsdbEvent, toEsdbEvent } from './esdbEventCodec';
import {
  commitPositionOf,
  isSystemEvent,
  knownPosition,
  toConcurrencyError,
  toEsdbExpectedRevision,
  toReadPosition,
  toStorageError,
} from './esdbMapping';

/**
 * The event store port on EventStoreDB (SPEC §1, the scale-out backend).
 *
 * Idempotency: EventStoreDB itself skips a repeated append only when it is retried with the same
 * expected revision; retried with the stream's newer revision, or with `any` once its id cache
 * has moved on, it would store the events twice. So before appending we look for the event ids
 * in the stream (streams here hold one order's or one saga's handful of events) and answer a
 * repeated append from the stored copies, with the result the first append had. Two racing
 * appends of the same new ids with `any` are left to the server's own best-effort check.
 */
export class EsdbEventStore implements EventStore {
  private readonly pendingWaits = new Set<() => void>();

  constructor(readonly client: EventStoreDBClient) {}

  // The port's calls. Each turns the client's "the server is away for now" into our storage being
  // unavailable (esdbMapping.ts: toStorageError), so that callers wait and retry rather than fail.

  appendToStream(stream: string, events: readonly NewEvent[], options: AppendOptions = {}): Promise<AppendResult> {
    return storageErrorsMapped(() => this.append(stream, events, options));
  }

  readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    return storageErrorsMapped(() => this.readEvents(stream, options));
  }

  readAll(options: ReadAllOptions): Promise<RecordedEvent[]> {
    return storageErrorsMapped(async () => (await this.readAllPages(options)).events);
  }

  readPartitions(options: ReadPartitionsOptions): Promise<PartitionsRead> {
    return storageErrorsMapped(() => this.readAllPages(options, options.partitions));
  }

  headPosition(): Promise<number> {
    return storageErrorsMapped(() => this.readHeadPosition());
  }

  private async append(stream: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult> {
    const expected = options.expectedRevision ?? 'any';
    const proposed = events.map(toEsdbEvent);
    if (proposed.length === 0) return this.streamHead(stream, expected);
    const ids = proposed.map((event) => event.id);

    const repeated = await this.repeatedAppend(stream, ids, expected);
    if (repeated) return repeated;
    let result: EsdbAppendResult;
    try {
      result = await this.client.appendToStream(stream, proposed, {
        expectedRevision: toEsdbExpectedRevision(expected),
      });
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError)) throw error;
      const repeated = await this.repeatedAppend(stream, ids, expected);
      if (repeated) return repeated;
      throw toConcurrencyError(stream, error);
    }
    // The server reports no position when it recognised the append as a repeat of one it stored.
    const lastPosition = knownPosition(result.position);
    if (lastPosition === undefined) {
      const repeated = await this.repeatedAppend(stream, ids, expected);
      if (repeated) return repeated;
      throw new Error(`EventStoreDB accepted an append to ${stream} but reported no position for it`);
    }
    return { nextExpectedRevision: Number(result.nextExpectedRevision), lastPosition };
  }

  private async readEvents(stream: string, options: ReadStreamOptions): Promise<RecordedEvent[]> {
    const events = await this.readRawStream(stream, options);
    return events.map(fromEsdbEvent);
  }

  /**
   * Pages through $all from `after`, skipping EventStoreDB's own events, until `maxCount` of ours
   * are found or the log ends. A page starts at the last event already seen, because a read from a
   * position includes the event there. An undecodable event ends the batch before it; read first,
   * it throws, so the follower stops on it rather than skipping it. EventStoreDB keeps no saga hash
   * beside an event: a partitioned read filters here, from the event's own saga id.
   */
  private async readAllPages(
    { after, maxCount }: ReadAllOptions,
    partitions?: PartitionFilter,
  ): Promise<PartitionsRead> {
    const wanted = partitions && partitions.owned.length < partitions.count ? new Set(partitions.owned) : undefined;
    const inPartition = (event: RecordedEvent) =>
      !wanted || wanted.has(partitionOfHash(sagaHash(partitionKeyOf(event, event.stream)), partitions!.count));
    const pageSize = Math.min(Math.max(maxCount + 1, 100), 1000);
    const found: RecordedEvent[] = [];
    let seenUpTo = BigInt(after);
    let from = toReadPosition(after);
    while (found.length < maxCount) {
      const page: AllStreamRecordedEvent[] = [];
      for await (const resolved of this.client.readAll({
        fromPosition: from,
        maxCount: pageSize,
        direction: FORWARDS,
      })) {
        if (resolved.event) page.push(resolved.event);
      }
      for (const event of page) {
        if (event.position.commit <= seenUpTo) continue;
        if (!isSystemEvent(event)) {
          const decoded = decodeOrStop(event, found.length > 0);
          if (decoded === undefined) return { events: found, through: Number(seenUpTo) };
          if (inPartition(decoded)) found.push(decoded);
        }
        seenUpTo = event.position.commit;
        if (found.length === maxCount) break;
      }
      const last = page.at(-1);
      if (page.length < pageSize || last === undefined) break;
      from = last.position;
    }
    return { events: found, through: Number(seenUpTo) };
  }

  /** The commit position of the newest event of ours among the last page of $all (0 when none). */
  private async readHeadPosition(): Promise<number> {
    for await (const resolved of this.client.readAll({ fromPosition: END, direction: BACKWARDS, maxCount: 100 })) {
      if (resolved.event && !isSystemEvent(resolved.event)) return Number(resolved.event.position.commit);
    }
    return 0;
  }

  /** Follows $all from `after` and resolves on the first event of ours, or at the timeout. */
  waitForEvents(after: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const subscription = this.client.subscribeToAll({
        fromPosition: toReadPosition(after),
        filter: excludeSystemEvents(),
      });
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        this.pendingWaits.delete(finish);
        subscription.unsubscribe().catch(() => undefined);
        resolve();
      };
      const timer = setTimeout(finish, timeoutMs);
      this.pendingWaits.add(finish);
      subscription.on('data', (resolved) => {
        const commit = resolved.event?.position.commit;
        if (commit !== undefined && commit > BigInt(after)) finish();
      });
      // A failed subscription leaves the wait to its timeout, so a failing server is not polled in a tight loop.
      subscription.on('error', () => subscription.unsubscribe().catch(() => undefined));
    });
  }

  async close(): Promise<void> {
    for (const finish of [...this.pendingWaits]) finish();
    await this.client.dispose();
  }

  /**
   * Answers an append whose events are all stored already with the result of the append that
   * stored them; undefined when none of them is stored. Some but not all stored means the caller
   * reused event ids for new events, or, when its expected revision no longer holds, that it is
   * stale (a ConcurrencyError).
   */
  private async repeatedAppend(
    stream: string,
    ids: readonly string[],
    expected: ExpectedRevision,
  ): Promise<AppendResult | undefined> {
    const stored = await this.readRawStream(stream, {});
    const copies = new Map(stored.map((event) => [event.id, event]));
    const found = ids.filter((id) => copies.has(id));
    if (found.length === 0) return undefined;
    if (found.length < ids.length) {
      // Stored events at a revision that no longer holds are a stale caller (a redelivered batch
      // longer than the first): the revision conflict is what it must hear, to reload.
      const head = stored.at(-1);
      checkExpectedRevision(stream, expected, head === undefined ? NO_STREAM : Number(head.revision));
      throw new EventIdReusedError(stream);
    }
    const lastCopy = copies.get(ids.at(-1)!)!;
    return { nextExpectedRevision: Number(lastCopy.revision), lastPosition: commitPositionOf(lastCopy) };
  }

  /** What an append of nothing returns, once the expected revision holds: the stream as it is. */
  private async streamHead(stream: string, expected: ExpectedRevision): Promise<AppendResult> {
    const head = (await this.readRawStream(stream, {})).at(-1);
    const current = head === undefined ? NO_STREAM : Number(head.revision);
    checkExpectedRevision(stream, expected, current);
    return { nextExpectedRevision: current, lastPosition: head === undefined ? 0 : commitPositionOf(head) };
  }

  private async readRawStream(
    stream: string,
    { fromRevision = 0, maxCount }: ReadStreamOptions,
  ): Promise<EsdbRecordedEvent[]> {
    const events: EsdbRecordedEvent[] = [];
    try {
      const read = this.client.readStream(stream, {
        fromRevision: BigInt(fromRevision),
        maxCount,
        direction: FORWARDS,
      });
      for await (const resolved of read) {
        if (resolved.event) events.push(resolved.event);
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }
}

/** One connection per store; `close()` ends it. The connection opens on first use. */
export function createEsdbEventStore(connectionString: string): EsdbEventStore {
  return new EsdbEventStore(EventStoreDBClient.connectionString(connectionString));
}

/** Decodes an event of $all; when `canStop`, an undecodable one ends the batch (undefined) instead of throwing. */
function decodeOrStop(event: AllStreamRecordedEvent, canStop: boolean): RecordedEvent | undefined {
  try {
    return fromEsdbEvent(event);
  } catch (error) {
    if (canStop && error instanceof EventDecodingError) return undefined;
    throw error;
  }
}

async function storageErrorsMapped<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toStorageError(error);
  }
}
