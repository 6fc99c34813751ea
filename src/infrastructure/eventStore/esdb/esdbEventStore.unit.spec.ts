import { randomUUID } from 'node:crypto';
import {
  ANY,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  WrongExpectedVersionError,
  type JSONRecordedEvent,
  type RecordedEvent as EsdbRecordedEvent,
} from '@eventstore/db-client';
import { ConcurrencyError, EventDecodingError, EventSchemaError } from '../../../application/errors';
import { sampleOrderCreated } from '../testing/sampleEvents';
import { fromEsdbEvent, toEsdbEvent } from './esdbEventCodec';
import {
  commitPositionOf,
  isSystemEvent,
  knownPosition,
  positionToNumber,
  toConcurrencyError,
  toEsdbExpectedRevision,
  toReadPosition,
} from './esdbMapping';

/** The pure half of the EventStoreDB adapter; the other half needs a server (esdbEventStore.int.spec.ts). */

describe('expected revision mapping', () => {
  it.each([
    ['no_stream', NO_STREAM],
    ['stream_exists', STREAM_EXISTS],
    ['any', ANY],
    [0, 0n],
    [41, 41n],
  ] as const)('maps %p to %p', (ours, theirs) => {
    expect(toEsdbExpectedRevision(ours)).toBe(theirs);
  });

  it.each([-1, 1.5, Number.NaN])('rejects %p, which names no revision', (bad) => {
    expect(() => toEsdbExpectedRevision(bad)).toThrow(RangeError);
  });
});

describe('conflict translation', () => {
  it('turns a wrong expected version into a ConcurrencyError naming stream, expected and actual revision', () => {
    const wrong = new WrongExpectedVersionError(undefined, { streamName: 'order-1', expected: 3n, current: 5n });
    const error = toConcurrencyError('order-1', wrong);
    expect(error).toBeInstanceOf(ConcurrencyError);
    expect(error).toMatchObject({ code: 'CONCURRENCY_CONFLICT', stream: 'order-1', expected: '3', actual: '5' });
    expect(error.message).toContain('order-1 is at revision 5, not 3');
  });

  it('names a missing stream and a stream that was required to be new', () => {
    const missing = toConcurrencyError(
      'saga-1',
      new WrongExpectedVersionError(undefined, { streamName: 'saga-1', expected: STREAM_EXISTS, current: NO_STREAM }),
    );
    expect(missing).toMatchObject({ expected: 'stream_exists', actual: 'no_stream' });
    const existing = toConcurrencyError(
      'saga-1',
      new WrongExpectedVersionError(undefined, { streamName: 'saga-1', expected: NO_STREAM, current: 0n }),
    );
    expect(existing).toMatchObject({ expected: 'no_stream', actual: '0' });
  });
});

describe('positions', () => {
  it('reads from the start for position 0 and from the exact log position otherwise', () => {
    expect(toReadPosition(0)).toBe(START);
    expect(toReadPosition(1234)).toEqual({ commit: 1234n, prepare: 1234n });
  });

  it('rejects positions that are not whole numbers of 0 or more', () => {
    expect(() => toReadPosition(-1)).toThrow(RangeError);
    expect(() => toReadPosition(2.5)).toThrow(RangeError);
  });

  it('converts commit positions to numbers while they are exact', () => {
    expect(positionToNumber(987_654_321n)).toBe(987_654_321);
    expect(positionToNumber(BigInt(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => positionToNumber(BigInt(Number.MAX_SAFE_INTEGER) + 1n)).toThrow(RangeError);
  });

  it('treats the "no position" markers of old servers and repeated appends as unknown', () => {
    expect(knownPosition(undefined)).toBeUndefined();
    expect(knownPosition({ commit: 0n, prepare: 0n })).toBeUndefined();
    expect(knownPosition({ commit: 2n ** 64n - 1n, prepare: 2n ** 64n - 1n })).toBeUndefined();
    expect(knownPosition({ commit: 512n, prepare: 512n })).toBe(512);
    expect(() => commitPositionOf({ streamId: 'order-1', revision: 2n })).toThrow(
      /revision 2 of stream order-1.*22\.6/,
    );
  });

  it('recognises EventStoreDB system events by type or stream', () => {
    expect(isSystemEvent({ streamId: '$stats-127.0.0.1:2113', type: '$statistics-collected' })).toBe(true);
    expect(isSystemEvent({ streamId: 'checkpoint-sagaReactor', type: '$FulfillmentCheckpointStored' })).toBe(true);
    expect(isSystemEvent({ streamId: '$$order-1', type: '$metadata' })).toBe(true);
    expect(isSystemEvent({ streamId: 'order-1', type: 'OrderCreated' })).toBe(false);
  });
});

describe('event codec', () => {
  const stored = (overrides: Partial<JSONRecordedEvent> = {}): EsdbRecordedEvent => {
    const event = toEsdbEvent(sampleOrderCreated());
    return {
      streamId: 'order-1',
      id: event.id,
      isJson: true,
      revision: 0n,
      type: event.type,
      created: new Date(),
      data: event.data,
      metadata: event.metadata,
      position: { commit: 4096n, prepare: 4096n },
      ...overrides,
    } as EsdbRecordedEvent;
  };

  it('stores our event id as the EventStoreDB id and our metadata with the current schema version', () => {
    const event = sampleOrderCreated();
    const encoded = toEsdbEvent({ ...event, metadata: { ...event.metadata, schemaVersion: 1 } });
    expect(encoded).toMatchObject({
      id: event.metadata.eventId,
      type: 'OrderCreated',
      contentType: 'application/json',
    });
    expect(encoded.metadata).toEqual({ ...event.metadata, schemaVersion: 2 });
    expect(encoded.data).toEqual(event.data);
  });

  it('refuses an event that fails its schema, or whose id is not a UUID, before anything is stored', () => {
    const event = sampleOrderCreated();
    const noLines = { ...event, data: { ...event.data, medications: [] } };
    expect(() => toEsdbEvent(noLines)).toThrow(EventSchemaError);
    const badId = { ...event, metadata: { ...event.metadata, eventId: 'not-a-uuid' } };
    expect(() => toEsdbEvent(badId)).toThrow(/metadata\.eventId/);
  });

  it('reads a stored event back with its stream, revision and commit position', () => {
    const recorded = fromEsdbEvent(stored({ revision: 3n }));
    expect(recorded).toMatchObject({ type: 'OrderCreated', stream: 'order-1', revision: 3, position: 4096 });
    expect(recorded.metadata.schemaVersion).toBe(2);
  });

  it('upcasts an OrderCreated stored as version 1', () => {
    const orderId = randomUUID();
    const sagaId = randomUUID();
    const v1 = stored({
      data: {
        orderId,
        sagaId,
        patientId: 'p-1',
        items: [{ sku: 'AMOX-500', qty: 3 }],
        shippingAddress: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
      },
      metadata: { ...(stored().metadata as object), schemaVersion: 1 },
    });
    const recorded = fromEsdbEvent(v1);
    expect(recorded.data).toMatchObject({
      orderId,
      prescriberId: null,
      medications: [{ sku: 'AMOX-500', quantity: 3 }],
    });
  });

  it.each([
    ['binary data', { isJson: false } as unknown as Partial<JSONRecordedEvent>, /binary/],
    ['metadata that is not ours', { metadata: { hello: 'world' } }, /metadata is invalid/],
    ['an unknown event type', { type: 'SomethingElse' }, /unknown event type "SomethingElse"/],
    ['data that fails its schema', { data: { orderId: 'x' } }, /OrderCreated data is invalid/],
  ])('raises EventDecodingError naming stream and position for %s', (_case, overrides, reason) => {
    const decode = () => fromEsdbEvent(stored(overrides));
    expect(decode).toThrow(EventDecodingError);
    expect(decode).toThrow(/position 4096 of stream order-1/);
    expect(decode).toThrow(reason);
  });
});
