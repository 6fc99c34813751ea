import { randomUUID } from 'node:crypto';
import { ConcurrencyError, EventDecodingError, EventSchemaError } from '../../application/errors';
import type { CheckpointStore } from '../../application/ports/checkpointStore';
import type { EventStore, NewEvent, RecordedEvent } from '../../application/ports/eventStore';
import type { Logger } from '../../application/ports/logger';
import { checkpointedConsumer, startCatchUpSubscription } from '../../application/subscriptions';
import { partitionKeyOf, sagaPartitionOf } from '../../application/partitions/sagaPartitions';
import { streamName } from '../../domain/events';
import { sampleOrderCreated, sampleSagaEvents } from './testing/sampleEvents';

/**
 * The event store contract of SPEC §3, run against every adapter through one factory (like
 * BullMQ's adapter-conformance suite). Each adapter's `*.int.spec.ts` calls
 * `describeEventStoreContract(name, factory)`.
 *
 * The suite never assumes an empty store: it uses fresh stream names and reads the global order
 * from a position taken just before its own appends, so it also runs against a shared server.
 */

/** How a harness breaks an event on purpose: unparseable JSON, or a type no catalog knows. */
export type UndecodableKind = 'invalid_json' | 'unknown_type';

export type EventStoreHarness = {
  store: EventStore;
  checkpoints: CheckpointStore;
  cleanup(): Promise<void>;
  /**
   * Stores, at the end of the log in `stream`, an event that cannot be decoded, bypassing the
   * adapter's validation (a raw insert, a raw client append…). Returns its global position.
   * Required by the "stops visibly on an undecodable event" tests.
   */
  storeUndecodableEvent?(stream: string, kind: UndecodableKind): Promise<number>;
  /**
   * A new store and checkpoint store over the same storage, as after a process restart. The
   * harness's cleanup closes them too. Without it, the restart test restarts only the subscriber.
   */
  reopen?(): Promise<{ store: EventStore; checkpoints: CheckpointStore }>;
};

export type EventStoreHarnessFactory = () => Promise<EventStoreHarness>;

const newStream = () => streamName.saga(randomUUID());
const idsOf = (events: readonly { metadata: { eventId: string } }[]) => events.map((event) => event.metadata.eventId);

/** A logger that keeps what it is given, to check that a failure was reported. */
function recordingLogger() {
  const errors: { fields: object; message?: string }[] = [];
  const logger: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: (fields, message) => errors.push({ fields, message }),
    child: () => logger,
  };
  return { logger, errors };
}

/** Reads the whole global order after `after` in batches of `batchSize`. */
async function readAllAfter(store: EventStore, after: number, batchSize: number): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for (let position = after; ;) {
    const batch = await store.readAll({ after: position, maxCount: batchSize });
    expect(batch.length).toBeLessThanOrEqual(batchSize);
    if (batch.length === 0) return events;
    events.push(...batch);
    position = batch[batch.length - 1]!.position;
  }
}

/** The position of the newest event now, found by appending a marker event. */
async function currentPosition(store: EventStore): Promise<number> {
  const { lastPosition } = await store.appendToStream(newStream(), sampleSagaEvents(1), {
    expectedRevision: 'no_stream',
  });
  return lastPosition;
}

export function describeEventStoreContract(name: string, factory: EventStoreHarnessFactory): void {
  describe(`event store contract: ${name}`, () => {
    let harness: EventStoreHarness;
    let store: EventStore;

    beforeEach(async () => {
      harness = await factory();
      store = harness.store;
    });
    afterEach(async () => {
      await harness.cleanup();
    });

    describe('appending and reading a stream', () => {
      it('stores events in order and reads them back as appended, with revisions and growing positions', async () => {
        const stream = newStream();
        const events = sampleSagaEvents(3);

        const result = await store.appendToStream(stream, events, { expectedRevision: 'no_stream' });
        const read = await store.readStream(stream);

        expect(result.nextExpectedRevision).toBe(2);
        expect(read.map((event) => event.revision)).toEqual([0, 1, 2]);
        expect(read.map((event) => event.stream)).toEqual([stream, stream, stream]);
        expect(read.map(({ type, data }) => ({ type, data }))).toEqual(
          events.map(({ type, data }) => ({ type, data })),
        );
        expect(idsOf(read)).toEqual(idsOf(events));
        expect(read[0]!.metadata).toMatchObject({
          correlationId: events[0]!.metadata.correlationId,
          causationId: events[0]!.metadata.causationId,
          occurredAt: events[0]!.metadata.occurredAt,
          schemaVersion: 1,
        });
        expect(read[0]!.position).toBeGreaterThan(0);
        expect(read[1]!.position).toBeGreaterThan(read[0]!.position);
        expect(read[2]!.position).toBe(result.lastPosition);
      });

      it('reads a stream from a revision, at most maxCount events', async () => {
        const stream = newStream();
        const events = sampleSagaEvents(5);
        await store.appendToStream(stream, events, { expectedRevision: 'no_stream' });

        const read = await store.readStream(stream, { fromRevision: 1, maxCount: 3 });

        expect(read.map((event) => event.revision)).toEqual([1, 2, 3]);
        expect(idsOf(read)).toEqual(idsOf(events.slice(1, 4)));
      });

      it('reads a stream that does not exist as an empty list', async () => {
        await expect(store.readStream(newStream())).resolves.toEqual([]);
      });

      it('keeps nested data intact (OrderCreated with its lines and address)', async () => {
        const event = sampleOrderCreated();
        const stream = streamName.order(event.data.orderId);
        await store.appendToStream(stream, [event], { expectedRevision: 'no_stream' });

        const [read] = await store.readStream(stream);

        expect(read).toMatchObject({ type: 'OrderCreated', data: event.data, stream, revision: 0 });
      });
    });

    describe('expected revision', () => {
      it('appends after the revision of the last event and returns the next one to expect', async () => {
        const stream = newStream();
        const first = await store.appendToStream(stream, sampleSagaEvents(2), { expectedRevision: 'no_stream' });

        const second = await store.appendToStream(stream, sampleSagaEvents(2), {
          expectedRevision: first.nextExpectedRevision,
        });

        expect(second.nextExpectedRevision).toBe(3);
        expect(second.lastPosition).toBeGreaterThan(first.lastPosition);
        expect((await store.readStream(stream)).map((event) => event.revision)).toEqual([0, 1, 2, 3]);
      });

      const conflicts: [string, (stream: string) => Promise<unknown>][] = [
        [
          'no_stream on an existing stream',
          (stream) => store.appendToStream(stream, sampleSagaEvents(2), { expectedRevision: 'no_stream' }),
        ],
        ['a stale revision', (stream) => store.appendToStream(stream, sampleSagaEvents(2), { expectedRevision: 0 })],
        [
          'a revision the stream has not reached',
          (stream) => store.appendToStream(stream, sampleSagaEvents(2), { expectedRevision: 5 }),
        ],
      ];
      it.each(conflicts)('rejects %s with a ConcurrencyError and writes nothing', async (_case, append) => {
        const stream = newStream();
        const before = await currentPosition(store);
        await store.appendToStream(stream, sampleSagaEvents(2), { expectedRevision: 'no_stream' });

        const error = await append(stream).catch((caught: unknown) => caught);

        expect(error).toBeInstanceOf(ConcurrencyError);
        expect((error as ConcurrencyError).code).toBe('CONCURRENCY_CONFLICT');
        expect((error as ConcurrencyError).stream).toBe(stream);
        expect(await store.readStream(stream)).toHaveLength(2);
        const written = (await readAllAfter(store, before, 100)).filter((event) => event.stream === stream);
        expect(written).toHaveLength(2);
      });

      it('rejects stream_exists on a missing stream and writes nothing', async () => {
        const stream = newStream();

        await expect(
          store.appendToStream(stream, sampleSagaEvents(1), { expectedRevision: 'stream_exists' }),
        ).rejects.toBeInstanceOf(ConcurrencyError);
        expect(await store.readStream(stream)).toEqual([]);
      });

      it('appends with stream_exists to an existing stream', async () => {
        const stream = newStream();
        await store.appendToStream(stream, sampleSagaEvents(1), { expectedRevision: 'no_stream' });

        const result = await store.appendToStream(stream, sampleSagaEvents(2), { expectedRevision: 'stream_exists' });

        expect(result.nextExpectedRevision).toBe(2);
      });

      it('appends with any (the default) whether or not the stream exists', async () => {
        const stream = newStream();

        const first = await store.appendToStream(stream, sampleSagaEvents(1), { expectedRevision: 'any' });
        const second = await store.appendToStream(stream, sampleSagaEvents(2));

        expect([first.nextExpectedRevision, second.nextExpectedRevision]).toEqual([0, 2]);
        expect(await store.readStream(stream)).toHaveLength(3);
      });

      it('lets exactly one of several concurrent appenders with the same expected revision win', async () => {
        const stream = newStream();
        const { nextExpectedRevision } = await store.appendToStream(stream, sampleSagaEvents(1), {
          expectedRevision: 'no_stream',
        });

        const outcomes = await Promise.allSettled(
          Array.from({ length: 8 }, () =>
            store.appendToStream(stream, sampleSagaEvents(2), { expectedRevision: nextExpectedRevision }),
          ),
        );

        expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
        for (const outcome of outcomes.filter((outcome) => outcome.status === 'rejected')) {
          expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
        }
        expect((await store.readStream(stream)).map((event) => event.revision)).toEqual([0, 1, 2]);
      });
    });

    describe('appends made at once (a reactor batch, workers reporting together)', () => {
      // Adapters may commit appends asked for in one turn as one group: each must still answer
      // as if it had been made alone.
      it('stores every append of the turn, each with its own revisions and position', async () => {
        const streams = [newStream(), newStream(), newStream(), newStream()];
        await store.appendToStream(streams[3]!, sampleSagaEvents(2), { expectedRevision: 'no_stream' });
        const before = await currentPosition(store);

        const results = await Promise.all([
          store.appendToStream(streams[0]!, sampleSagaEvents(1), { expectedRevision: 'no_stream' }),
          store.appendToStream(streams[1]!, sampleSagaEvents(3), { expectedRevision: 'no_stream' }),
          store.appendToStream(streams[2]!, sampleSagaEvents(2), { expectedRevision: 'no_stream' }),
          store.appendToStream(streams[3]!, sampleSagaEvents(2), { expectedRevision: 1 }),
        ]);

        expect(results.map((result) => result.nextExpectedRevision)).toEqual([0, 2, 1, 3]);
        for (const [index, stream] of streams.entries()) {
          const read = await store.readStream(stream);
          expect(results[index]!.lastPosition).toBe(read.at(-1)!.position);
        }
        const all = (await readAllAfter(store, before, 100)).filter((event) => streams.includes(event.stream));
        expect(all).toHaveLength(8);
      });

      it('fails only the append whose expected revision is wrong; the others of the turn are stored', async () => {
        const [taken, beyond, fine] = [newStream(), newStream(), newStream()];
        await store.appendToStream(taken, sampleSagaEvents(1), { expectedRevision: 'no_stream' });
        await store.appendToStream(beyond, sampleSagaEvents(1), { expectedRevision: 'no_stream' });

        const settled = await Promise.allSettled([
          store.appendToStream(taken, sampleSagaEvents(1), { expectedRevision: 'no_stream' }),
          store.appendToStream(beyond, sampleSagaEvents(1), { expectedRevision: 5 }),
          store.appendToStream(fine, sampleSagaEvents(2), { expectedRevision: 'no_stream' }),
        ]);

        expect(settled.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
        expect((settled[0] as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
        expect((settled[1] as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
        expect(await store.readStream(taken)).toHaveLength(1);
        expect(await store.readStream(beyond)).toHaveLength(1);
        expect(await store.readStream(fine)).toHaveLength(2);
      });

      it('answers a repeated append as the first time, beside new appends of the same turn', async () => {
        const [again, fresh] = [newStream(), newStream()];
        const events = sampleSagaEvents(2);
        const first = await store.appendToStream(again, events, { expectedRevision: 'no_stream' });

        const [repeated, stored] = await Promise.all([
          store.appendToStream(again, events, { expectedRevision: 'no_stream' }),
          store.appendToStream(fresh, sampleSagaEvents(1), { expectedRevision: 'no_stream' }),
        ]);

        expect(repeated).toEqual(first);
        expect(stored.nextExpectedRevision).toBe(0);
        expect(await store.readStream(again)).toHaveLength(2);
      });

      it('keeps the order of two appends to one stream made in the same turn', async () => {
        const stream = newStream();
        const [a, b] = [sampleSagaEvents(1), sampleSagaEvents(1)];

        const results = await Promise.all([
          store.appendToStream(stream, a, { expectedRevision: 'no_stream' }),
          store.appendToStream(stream, b, { expectedRevision: 0 }),
        ]);

        expect(results.map((result) => result.nextExpectedRevision)).toEqual([0, 1]);
        expect(idsOf(await store.readStream(stream))).toEqual(idsOf([...a, ...b]));
      });
    });

    describe('idempotency by event id', () => {
      it('treats an append whose events are all stored already as a no-op with the first result', async () => {
        const stream = newStream();
        const events = sampleSagaEvents(3);
        const first = await store.appendToStream(stream, events, { expectedRevision: 'no_stream' });
        await store.appendToStream(stream, sampleSagaEvents(1), { expectedRevision: first.nextExpectedRevision });

        const repeated = await store.appendToStream(stream, events, { expectedRevision: 'no_stream' });
        const repeatedWithAny = await store.appendToStream(stream, events);

        expect(repeated).toEqual(first);
        expect(repeatedWithAny).toEqual(first);
        expect(idsOf(await store.readStream(stream))).toHaveLength(4);
      });

      // A follower redelivered a longer batch than it first handled: its append repeats the
      // events it stored then and adds new ones, expecting the revision it started from. That is a
      // stale revision, to reload and decide again — not ids reused for new events.
      it.each([
        ['no_stream', 'no_stream' as const],
        ['a stale revision', 0],
      ])('rejects stored events followed by new ones at %s with a ConcurrencyError', async (_case, expected) => {
        const stream = newStream();
        const [first, second, third] = sampleSagaEvents(3);
        await store.appendToStream(stream, [first!, second!], { expectedRevision: 'no_stream' });
        const stale = expected === 'no_stream' ? [first!, second!, third!] : [second!, third!];

        const error = await store
          .appendToStream(stream, stale, { expectedRevision: expected })
          .catch((caught: unknown) => caught);

        expect(error).toBeInstanceOf(ConcurrencyError);
        expect(idsOf(await store.readStream(stream))).toEqual(idsOf([first!, second!]));
      });

      it('rejects stored events followed by new ones at the current revision as reused ids', async () => {
        const stream = newStream();
        const [first, second] = sampleSagaEvents(2);
        const stored = await store.appendToStream(stream, [first!], { expectedRevision: 'no_stream' });

        const error = await store
          .appendToStream(stream, [first!, second!], { expectedRevision: stored.nextExpectedRevision })
          .catch((caught: unknown) => caught);

        expect((error as { code?: string }).code).toBe('EVENT_ID_REUSED');
        expect(idsOf(await store.readStream(stream))).toEqual(idsOf([first!]));
      });
    });

    describe('schema validation', () => {
      it('rejects an append with an invalid event, naming type and field, and stores none of it', async () => {
        const stream = newStream();
        const [valid, invalid] = sampleSagaEvents(2);
        const broken = {
          ...invalid!,
          data: { ...invalid!.data, compensation: 'RefundEverything' },
        } as unknown as NewEvent;

        const error = await store
          .appendToStream(stream, [valid!, broken], { expectedRevision: 'no_stream' })
          .catch((caught: unknown) => caught);

        expect(error).toBeInstanceOf(EventSchemaError);
        expect((error as EventSchemaError).eventType).toBe('SagaCompensationRecorded');
        expect((error as EventSchemaError).field).toBe('compensation');
        expect(await store.readStream(stream)).toEqual([]);
      });

      it('rejects an event type the catalog does not know', async () => {
        const stream = newStream();
        const [event] = sampleSagaEvents(1);
        const unknown = { ...event!, type: 'OrderTeleported' } as unknown as NewEvent;

        await expect(store.appendToStream(stream, [unknown])).rejects.toBeInstanceOf(EventSchemaError);
        expect(await store.readStream(stream)).toEqual([]);
      });
    });

    describe('reading all events', () => {
      it('returns every stream’s events in one global order, in batches, from a position', async () => {
        const before = await currentPosition(store);
        const [a, b] = [newStream(), newStream()];
        const appended: string[] = [];
        for (const [stream, count] of [
          [a, 2],
          [b, 3],
          [a, 1],
          [b, 2],
        ] as const) {
          const events = sampleSagaEvents(count);
          await store.appendToStream(stream, events);
          appended.push(...idsOf(events));
        }

        const all = (await readAllAfter(store, before, 3)).filter((event) => event.stream === a || event.stream === b);

        expect(idsOf(all)).toEqual(appended);
        const positions = all.map((event) => event.position);
        expect(positions).toEqual([...positions].sort((x, y) => x - y));
        expect(new Set(positions).size).toBe(positions.length);

        const fromMiddle = (await readAllAfter(store, all[3]!.position, 100)).filter(
          (event) => event.stream === a || event.stream === b,
        );
        expect(idsOf(fromMiddle)).toEqual(appended.slice(4));
      });

      it('reads only the events of the saga partitions asked for, in global order', async () => {
        const before = await currentPosition(store);
        const count = 4;
        const sagas: string[] = Array.from({ length: 12 }, () => randomUUID());
        for (const sagaId of sagas)
          await store.appendToStream(streamName.order(sagaId), [sampleOrderCreated(sagaId, sagaId)]);
        const ours = (event: RecordedEvent) => sagas.includes(event.stream.replace(/^order-/, ''));
        const everything = (await readAllAfter(store, before, 100)).filter(ours);

        for (const owned of [[0], [1, 3], [0, 1, 2, 3]]) {
          const read: RecordedEvent[] = [];
          for (let position = before; ;) {
            const { events, through } = await store.readPartitions({
              after: position,
              maxCount: 5,
              partitions: { count, owned },
            });
            expect(through).toBeGreaterThanOrEqual(events.at(-1)?.position ?? position);
            if (through === position) break;
            read.push(...events);
            position = through;
          }
          const inOwned = (event: RecordedEvent) =>
            owned.includes(sagaPartitionOf(partitionKeyOf(event, event.stream), count));
          expect(idsOf(read.filter(ours))).toEqual(idsOf(everything.filter(inOwned)));
          expect(read.every(inOwned)).toBe(true);
        }
        expect(
          new Set(everything.map((e) => sagaPartitionOf((e.data as { sagaId: string }).sagaId, count))).size,
        ).toBeGreaterThan(1);
      });

      it('reads nothing after the newest event', async () => {
        const last = await currentPosition(store);
        await expect(store.readAll({ after: last, maxCount: 10 })).resolves.toEqual([]);
      });

      it('reports the position of the newest event as the head', async () => {
        const before = await store.headPosition();
        const { lastPosition } = await store.appendToStream(newStream(), sampleSagaEvents(2));
        expect(lastPosition).toBeGreaterThan(before);
        await expect(store.headPosition()).resolves.toBe(lastPosition);
      });
    });

    describe('catch-up subscription', () => {
      it('sees every event exactly once, in order, and resumes from its checkpoint after a restart', async () => {
        const subscriber = `contract-${randomUUID()}`;
        const streams = [newStream(), newStream(), newStream()];
        const ours = new Set(streams);
        await harness.checkpoints.store(subscriber, await currentPosition(store));
        const seen: RecordedEvent[] = [];
        const follow = (eventStore: EventStore, checkpoints: CheckpointStore) =>
          startCatchUpSubscription({
            name: subscriber,
            store: eventStore,
            logger: recordingLogger().logger,
            batchSize: 4,
            idleWaitMs: 50,
            consumer: checkpointedConsumer(subscriber, checkpoints, async (events) => {
              seen.push(...events.filter((event) => ours.has(event.stream)));
            }),
          });
        const appended: string[] = [];
        const appendRound = async () => {
          let last = 0;
          for (const stream of streams) {
            const events = sampleSagaEvents(3);
            last = (await store.appendToStream(stream, events)).lastPosition;
            appended.push(...idsOf(events));
          }
          return last;
        };

        const beforeStart = await appendRound();
        const first = follow(store, harness.checkpoints);
        const whileRunning = await appendRound();
        expect(await first.waitForPosition(Math.max(beforeStart, whileRunning), 10_000)).toMatchObject({
          state: 'running',
        });
        await first.stop();
        expect(first.status()).toEqual({ state: 'stopped', position: expect.any(Number) });
        expect(await harness.checkpoints.load(subscriber)).toBe(first.status().position);

        const whileStopped = await appendRound();
        const restarted = harness.reopen ? await harness.reopen() : harness;
        const second = follow(restarted.store, restarted.checkpoints);
        expect(await second.waitForPosition(whileStopped, 10_000)).toMatchObject({ state: 'running' });
        await second.stop();

        expect(idsOf(seen)).toEqual(appended);
        const positions = seen.map((event) => event.position);
        expect(new Set(positions).size).toBe(positions.length);
        expect(positions).toEqual([...positions].sort((x, y) => x - y));
      });

      it.each(['invalid_json', 'unknown_type'] as const)(
        'stops visibly on an undecodable event (%s), naming its stream and position, without skipping it',
        async (kind) => {
          expect(harness.storeUndecodableEvent).toEqual(expect.any(Function));
          const subscriber = `contract-${randomUUID()}`;
          const [good, bad] = [newStream(), newStream()];
          await harness.checkpoints.store(subscriber, await currentPosition(store));
          const before = sampleSagaEvents(2);
          await store.appendToStream(good, before);
          const badPosition = await harness.storeUndecodableEvent!(bad, kind);
          await store.appendToStream(good, sampleSagaEvents(2));
          const seen: string[] = [];
          const { logger, errors } = recordingLogger();

          const subscription = startCatchUpSubscription({
            name: subscriber,
            store,
            logger,
            batchSize: 1,
            idleWaitMs: 50,
            consumer: checkpointedConsumer(subscriber, harness.checkpoints, async (events) => {
              seen.push(...idsOf(events.filter((event) => event.stream === good)));
            }),
          });
          const status = await subscription.waitForPosition(Number.MAX_SAFE_INTEGER, 10_000);
          await subscription.stop();

          expect(status.state).toBe('failed');
          const error = (status as { error: Error }).error;
          expect(error).toBeInstanceOf(EventDecodingError);
          expect((error as EventDecodingError).origin).toEqual({ stream: bad, position: badPosition });
          expect(error.message).toContain(bad);
          expect(error.message).toContain(String(badPosition));
          expect(status.position).toBeLessThan(badPosition);
          expect(await harness.checkpoints.load(subscriber)).toBe(status.position);
          expect(seen).toEqual(idsOf(before));
          expect(errors).toHaveLength(1);
          expect(errors[0]!.message).toContain(bad);
        },
      );
    });

    describe('checkpoints', () => {
      it('loads 0 for a new subscriber and the last stored position afterwards', async () => {
        const subscriber = `contract-${randomUUID()}`;

        const initial = await harness.checkpoints.load(subscriber);
        await harness.checkpoints.store(subscriber, 41);
        await harness.checkpoints.store(subscriber, 42);

        expect(initial).toBe(0);
        expect(await harness.checkpoints.load(subscriber)).toBe(42);
      });
    });
  });
}
