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
