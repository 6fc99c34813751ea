import { partitionCheckpointName } from '../../../application/partitions/sagaPartitions';
import type { PartitionCheckpoints } from '../../../application/ports/partitionLeases';
import { BACKWARDS, END, StreamNotFoundError, jsonEvent, type EventStoreDBClient } from '@eventstore/db-client';
import type { CheckpointStore } from '../../../application/ports/checkpointStore';

/**
 * Subscriber checkpoints on EventStoreDB: one stream per subscriber, `<prefix><subscriber>`, whose
 * last event holds the position. The stream keeps only its last event (`maxCount: 1`), so the
 * server scavenges the older ones.
 *
 * Checkpoints are not domain events: they are written raw, past the event catalog, and their type
 * starts with `$` so that readAll and the $all subscription skip them like the server's own.
 */
export const checkpointEventType = '$FulfillmentCheckpointStored';

type CheckpointStored = { type: typeof checkpointEventType; data: { subscriber: string; position: number } };

export type EsdbCheckpointStoreOptions = Readonly<{
  /** Stream name prefix; tests pass one per run, since EventStoreDB keeps every run's streams. */
  streamPrefix?: string;
}>;

export class EsdbCheckpointStore implements CheckpointStore {
  private readonly prefix: string;
  private readonly trimmed = new Set<string>();

  constructor(
    private readonly client: EventStoreDBClient,
    options: EsdbCheckpointStoreOptions = {},
  ) {
    this.prefix = options.streamPrefix ?? 'checkpoint-';
  }

  async load(subscriber: string): Promise<number> {
    try {
      const read = this.client.readStream<CheckpointStored>(this.streamOf(subscriber), {
        fromRevision: END,
        direction: BACKWARDS,
        maxCount: 1,
      });
      for await (const resolved of read) {
        const position = resolved.event?.data.position;
        if (typeof position !== 'number' || !Number.isSafeInteger(position) || position < 0) {
          throw new Error(`checkpoint stream ${this.streamOf(subscriber)} holds no valid position: store one again`);
        }
        return position;
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return 0;
      throw error;
    }
    return 0;
  }

  async store(subscriber: string, position: number): Promise<void> {
    if (!Number.isSafeInteger(position) || position < 0) {
      throw new RangeError(`checkpoint of ${subscriber} must be a position (0 or more); got ${position}`);
    }
    const stream = this.streamOf(subscriber);
    if (!this.trimmed.has(stream)) {
      await this.client.setStreamMetadata(stream, { maxCount: 1 });
      this.trimmed.add(stream);
    }
    await this.client.appendToStream(
      stream,
      jsonEvent<CheckpointStored>({ type: checkpointEventType, data: { subscriber, position } }),
    );
  }

  /** EventStoreDB keeps no leases: each partition's checkpoint is stored as any other. */
  async storePartitions(checkpoints: PartitionCheckpoints, position: number): Promise<void> {
    for (const { partition } of checkpoints.leases) {
      await this.store(partitionCheckpointName(checkpoints.follower, partition), position);
    }
  }

  private streamOf(subscriber: string): string {
    return `${this.prefix}${subscriber}`;
  }
}
