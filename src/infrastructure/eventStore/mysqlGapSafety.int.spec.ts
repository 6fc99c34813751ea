import type { EventStore, ReadAllOptions, RecordedEvent } from '../../application/ports/eventStore';
import { silentLogger } from '../../application/ports/logger';
import { startCatchUpSubscription } from '../../application/subscriptions';
import { streamName } from '../../domain/events';
import { fromEventRow, eventColumns, type EventRow } from './eventRows';
import { MysqlEventStore } from './mysqlEventStore';
import { mysqlHarness } from './testing/sqlHarness';
import { sampleSagaEvents } from './testing/sampleEvents';

/**
 * Concurrent appenders on MariaDB commit their auto-increment positions out of order. A follower
 * must still see every event exactly once. The stress test below fails against a reader without
 * the safe high-water mark: run it with GAP_SAFETY_NAIVE_READER=1 to see it miss events.
 */

/** `position > after` and nothing else: what the high-water mark protects against. */
class NaiveReader extends MysqlEventStore {
  override async readAll({ after, maxCount }: ReadAllOptions): Promise<RecordedEvent[]> {
    const [rows] = await this.pool.query(
      `SELECT ${eventColumns} FROM events WHERE position > ? ORDER BY position LIMIT ?`,
      [after, maxCount],
    );
    return (rows as EventRow[]).map(fromEventRow);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('MariaDB event store gap safety', () => {
  it('does not return an event while one with a lower position is still being committed', async () => {
    const harness = await mysqlHarness();
    const slowWriter = harness.open({ holdAppendTransaction: () => 1.5 });
    const reader = harness.open();
    try {
      const slow = slowWriter.appendToStream(streamName.saga('slow'), sampleSagaEvents(1));
      await sleep(300);
      const fast = await harness.store.appendToStream(streamName.saga('fast'), sampleSagaEvents(1));
      const [visible] = await harness.db.raw('SELECT position FROM events WHERE position > 0');
      const started = Date.now();

      const read = await reader.readAll({ after: 0, maxCount: 10 });

      expect((visible as { position: number }[]).map((row) => row.position)).toEqual([fast.lastPosition]);
      const { lastPosition: slowPosition } = await slow;
      expect(slowPosition).toBeLessThan(fast.lastPosition);
      expect(read.map((event) => event.position)).toEqual([slowPosition, fast.lastPosition]);
      expect(Date.now() - started).toBeGreaterThan(500);
    } finally {
      await harness.cleanup();
    }
  });

  it('lets a follower see every event exactly once while 16 writers commit out of order', async () => {
    const harness = await mysqlHarness();
    const writers = Array.from({ length: 16 }, () =>
      harness.open({ connectionLimit: 1, holdAppendTransaction: () => Math.random() * 0.004 }),
    );
    const follower: EventStore = process.env.GAP_SAFETY_NAIVE_READER
      ? new NaiveReader(harness.open().pool)
      : harness.open();
    const seen: RecordedEvent[] = [];
    let checkpoint = 0;
    const subscription = startCatchUpSubscription({
      name: 'gap-safety',
      store: follower,
      logger: silentLogger,
      batchSize: 50,
      idleWaitMs: 5,
      consumer: {
        loadCheckpoint: async () => checkpoint,
        handleBatch: async (events) => {
          seen.push(...events);
          checkpoint = events[events.length - 1]!.position;
        },
      },
    });
    try {
      const appended: string[] = [];
      await Promise.all(
        writers.map(async (writer, writerIndex) => {
          for (let append = 0; append < 100; append++) {
            const events = sampleSagaEvents(1 + (append % 3));
            await writer.appendToStream(streamName.saga(`w${writerIndex}-${append}`), events, {
              expectedRevision: 'no_stream',
            });
            appended.push(...events.map((event) => event.metadata.eventId));
          }
        }),
      );
      const [[{ last }]] = (await harness.db.raw('SELECT MAX(position) AS last FROM events')) as [[{ last: number }]];

      const status = await subscription.waitForPosition(last, 30_000);

      expect(status).toEqual({ state: 'running', position: last });
      const positions = seen.map((event) => event.position);
      expect(positions.every((position, index) => index === 0 || position > positions[index - 1]!)).toBe(true);
      expect(seen.length).toBe(appended.length);
      expect(new Set(seen.map((event) => event.metadata.eventId))).toEqual(new Set(appended));
    } finally {
      await subscription.stop();
      await harness.cleanup();
    }
  });
});
