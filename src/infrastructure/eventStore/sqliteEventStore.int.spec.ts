import { ConcurrencyError } from '../../application/errors';
import { EventIdReusedError } from './eventIdReusedError';
import { describeEventStoreContract } from './eventStore.contract';
import { sqliteHarness } from './testing/sqlHarness';
import { sampleSagaEvents } from './testing/sampleEvents';

describeEventStoreContract('SQLite', sqliteHarness);

describe('SQLite event store', () => {
  it('wakes a waiting follower as soon as an append in this process commits', async () => {
    const harness = await sqliteHarness();
    try {
      const started = Date.now();
      const woken = harness.store.waitForEvents(0, 10_000);
      await harness.store.appendToStream('orderFulfillmentSaga-x', sampleSagaEvents(1));
      await woken;
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await harness.cleanup();
    }
  });

  it('waits the timeout when nothing is appended', async () => {
    const harness = await sqliteHarness();
    try {
      const started = Date.now();
      await harness.store.waitForEvents(0, 100);
      expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    } finally {
      await harness.cleanup();
    }
  });
});

describe('SQLite event store group commit', () => {
  it('answers each append of one turn on its own: a conflict or a reused id fails only its caller', async () => {
    const harness = await sqliteHarness();
    const { store } = harness;
    try {
      const first = sampleSagaEvents(2);
      const [stored, repeated, stale, reused, other] = await Promise.allSettled([
        store.appendToStream('orderFulfillmentSaga-a', first, { expectedRevision: 'no_stream' }),
        store.appendToStream('orderFulfillmentSaga-a', first, { expectedRevision: 'no_stream' }),
        store.appendToStream('orderFulfillmentSaga-a', sampleSagaEvents(1), { expectedRevision: 'no_stream' }),
        store.appendToStream('orderFulfillmentSaga-b', [first[0]!]),
        store.appendToStream('orderFulfillmentSaga-b', sampleSagaEvents(1), { expectedRevision: 'no_stream' }),
      ]);

      expect(stored).toEqual({ status: 'fulfilled', value: { nextExpectedRevision: 1, lastPosition: 2 } });
      expect(repeated).toEqual(stored);
      expect(stale.status === 'rejected' && stale.reason).toBeInstanceOf(ConcurrencyError);
      expect(reused.status === 'rejected' && reused.reason).toBeInstanceOf(EventIdReusedError);
      expect(other).toEqual({ status: 'fulfilled', value: { nextExpectedRevision: 0, lastPosition: 3 } });
      expect((await store.readAll({ after: 0, maxCount: 10 })).map((event) => [event.stream, event.revision])).toEqual([
        ['orderFulfillmentSaga-a', 0],
        ['orderFulfillmentSaga-a', 1],
        ['orderFulfillmentSaga-b', 0],
      ]);
    } finally {
      await harness.cleanup();
    }
  });

  it('commits the appends still waiting when it closes', async () => {
    const harness = await sqliteHarness();
    try {
      const append = harness.store.appendToStream('orderFulfillmentSaga-x', sampleSagaEvents(1));
      await harness.store.close();
      await expect(append).resolves.toEqual({ nextExpectedRevision: 0, lastPosition: 1 });
    } finally {
      await harness.cleanup();
    }
  });
});
