import {
  DeadlineExceededError,
  EventStoreDBClient,
  NotLeaderError,
  StreamNotFoundError,
  TimeoutError,
  UnavailableError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import { freePort } from '../../../testing/freePort';
import { isStorageUnavailable, StorageUnavailableError } from '../../database/storageUnavailable';
import { sampleOrderCreated } from '../testing/sampleEvents';
import { EsdbEventStore } from './esdbEventStore';
import { toStorageError } from './esdbMapping';

/**
 * EventStoreDB away is our storage away, as MariaDB away is: requests answer 503 with Retry-After,
 * a job's try is deferred without spending an attempt, a follower retries (issue 8). No server is
 * needed: the client's own errors, and a real client whose server is not there.
 */
/** What the server answers a write sent to a follower: the leader's address in the metadata. */
const notLeader = {
  code: 5,
  details: 'not the leader',
  message: 'not the leader',
  metadata: { getMap: () => ({ 'leader-endpoint-host': '10.0.0.2', 'leader-endpoint-port': '2113' }) },
} as unknown as ConstructorParameters<typeof NotLeaderError>[0];

describe('EventStoreDB errors that say the server is away for now', () => {
  it.each([
    ['unavailable', new UnavailableError(undefined, 'connection refused')],
    ['not the leader', new NotLeaderError(notLeader)],
    ['deadline exceeded', new DeadlineExceededError(undefined, 'deadline exceeded')],
    ['timed out', new TimeoutError(undefined, 'timed out')],
  ])('%s: our storage unavailable, the client error kept as its cause', (_, error) => {
    const mapped = toStorageError(error);
    expect(mapped).toBeInstanceOf(StorageUnavailableError);
    expect(isStorageUnavailable(mapped)).toBe(true);
    expect((mapped as StorageUnavailableError).cause).toBe(error);
  });

  it.each([
    [
      'a concurrency conflict',
      new WrongExpectedVersionError(undefined, { streamName: 'order-1', expected: 3n, current: 5n }),
    ],
    ['a missing stream', new StreamNotFoundError(undefined, 'no stream')],
    ['any other error', new Error('a bug')],
  ])('%s is kept as it is', (_, error) => {
    expect(toStorageError(error)).toBe(error);
    expect(isStorageUnavailable(toStorageError(error))).toBe(false);
  });

  describe('an event store whose server is not there', () => {
    let client: EventStoreDBClient;
    let store: EsdbEventStore;

    beforeAll(async () => {
      client = EventStoreDBClient.connectionString(`esdb://127.0.0.1:${await freePort()}?tls=false`);
      store = new EsdbEventStore(client);
    });
    afterAll(() => client.dispose());

    it.each([
      ['appendToStream', () => store.appendToStream('order-1', [sampleOrderCreated()])],
      ['readStream', () => store.readStream('order-1')],
      ['readAll', () => store.readAll({ after: 0, maxCount: 10 })],
      ['headPosition', () => store.headPosition()],
    ])('%s rejects at once with our storage unavailable', async (_, call) => {
      const started = Date.now();
      const error: unknown = await call().then(
        () => undefined,
        (rejected: unknown) => rejected,
      );
      expect(error).toBeInstanceOf(StorageUnavailableError);
      expect((error as StorageUnavailableError).cause).toBeInstanceOf(UnavailableError);
      expect(Date.now() - started).toBeLessThan(5_000);
    });
  });
});
