import { describeEventStoreContract } from './eventStore.contract';
import { mysqlHarness } from './testing/sqlHarness';
import { sampleSagaEvents } from './testing/sampleEvents';

describeEventStoreContract('MariaDB', () => mysqlHarness());

describe('MariaDB event store', () => {
  it('appends several events with a number as expected revision in revision and position order', async () => {
    const harness = await mysqlHarness();
    try {
      const stream = 'orderFulfillmentSaga-batch';
      const first = await harness.store.appendToStream(stream, sampleSagaEvents(3), { expectedRevision: 'no_stream' });
      const second = await harness.store.appendToStream(stream, sampleSagaEvents(4), { expectedRevision: 2 });

      const read = await harness.store.readStream(stream);

      expect(second).toEqual({ nextExpectedRevision: 6, lastPosition: read[6]!.position });
      expect(read.map((event) => event.revision)).toEqual([0, 1, 2, 3, 4, 5, 6]);
      const positions = read.map((event) => event.position);
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
      expect(positions[2]).toBe(first.lastPosition);
    } finally {
      await harness.cleanup();
    }
  });

  it('wakes a waiting follower as soon as an append in this process commits', async () => {
    const harness = await mysqlHarness();
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
});
