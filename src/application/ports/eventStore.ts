import type { EventWithMetadata, FulfillmentEvent } from '../../domain/events';
import type { PartitionFilter } from '../partitions/sagaPartitions';

/**
 * The event store port (SPEC §3), shaped like Emmett's: expected revision in, explicit result out.
 * Every adapter passes one contract suite (src/infrastructure/eventStore/eventStore.contract.ts).
 *
 * Revisions count a stream's events from 0; positions order all events of the store, start
 * above 0 and only grow (they need not be contiguous).
 */

/** A number is the revision of the stream's last event; `no_stream` means the stream must not exist yet. */
export type ExpectedRevision = number | 'no_stream' | 'stream_exists' | 'any';

export type NewEvent<E extends FulfillmentEvent = FulfillmentEvent> = EventWithMetadata<E>;

export type RecordedEvent<E extends FulfillmentEvent = FulfillmentEvent> = EventWithMetadata<E> &
  Readonly<{ stream: string; revision: number; position: number }>;

export type AppendResult = Readonly<{
  /** Revision of the stream's last event after the append: pass it as the next expected revision. */
  nextExpectedRevision: number;
  /** Global position of the last event appended (or already stored, for a repeated append). */
  lastPosition: number;
}>;

export type AppendOptions = Readonly<{ expectedRevision?: ExpectedRevision }>;
export type ReadStreamOptions = Readonly<{ fromRevision?: number; maxCount?: number }>;
export type ReadAllOptions = Readonly<{ after: number; maxCount: number }>;
export type ReadPartitionsOptions = ReadAllOptions & Readonly<{ partitions: PartitionFilter }>;

/**
 * `through`: the position the read covered. Every event of the partitions up to it is in `events`
 * or at or before `after`, so a follower can move on to it even when none of the events was its own.
 */
export type PartitionsRead = Readonly<{ events: RecordedEvent[]; through: number }>;

export interface EventStore {
  /**
   * Appends all events or none. A mismatched expected revision throws ConcurrencyError and writes
   * nothing. An append whose event ids are all stored already is a no-op that succeeds, so a
   * retried append never duplicates. Each event is validated against the catalog before storing.
   */
  appendToStream(stream: string, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult>;

  /** The stream's events in revision order; an empty list when the stream does not exist. */
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;

  /**
   * Events with a position above `after`, in global order, at most `maxCount`. Gap-safe: it never
   * returns an event while an event with a lower position may still be committed, so a follower
   * that resumes from the last position it saw never skips one.
   */
  readAll(options: ReadAllOptions): Promise<RecordedEvent[]>;

  /**
   * As readAll, keeping only the events of some saga partitions (application/partitions), for a
   * copy that follows those; gap-safe in the same way.
   */
  readPartitions(options: ReadPartitionsOptions): Promise<PartitionsRead>;

  /**
   * Resolves when events after `after` may have been appended, or after `timeoutMs` at the latest,
   * so followers need not busy-poll. An adapter without notifications just waits the timeout.
   */
  waitForEvents(after: number, timeoutMs: number): Promise<void>;

  /** Global position of the last event stored, 0 for an empty store: how far followers have to go. */
  headPosition(): Promise<number>;

  close(): Promise<void>;
}
