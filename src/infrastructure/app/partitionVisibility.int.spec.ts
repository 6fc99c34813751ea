import request from 'supertest';
import { sagaReactorSubscriber } from '../../application/saga/sagaReactorSubscription';
import { formatPartitionTable, partitionTable } from '../cli/partitionTable';
import { startTestService, type TestService } from './testing/testService';
import { startReactorRole } from './sagaRoles';

/**
 * Issue 9's visibility: a process that follows saga partitions shows which it owns and each one's
 * lag in /readyz and /metrics, and `fulfillment partitions` prints the ownership table.
 */
describe('saga partition visibility', () => {
  let harness: TestService;
  beforeAll(async () => {
    harness = await startTestService('sqlite', { SAGA_PARTITIONS: '4' });
    harness.service.startProjection();
    startReactorRole(harness.service, { idleWaitMs: 50 });
  });
  afterAll(() => harness.dispose());

  const ready = async () => {
    for (const deadline = Date.now() + 10_000; ;) {
      const response = await request(harness.service.createHttpApp()).get('/readyz');
      const { partitions } = response.body.checks ?? {};
      if (
        partitions?.[sagaReactorSubscriber]?.owned.length === 4 &&
        partitions?.order_fulfillment_sagas?.owned.length === 4
      )
        return response.body.checks.partitions;
      if (Date.now() > deadline) throw new Error(`partitions not all owned: ${JSON.stringify(response.body)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  it('shows the owned partitions and their lag in /readyz and /metrics', async () => {
    const partitions = await ready();
    expect(partitions[sagaReactorSubscriber]).toEqual({ owned: [0, 1, 2, 3], lag: { 0: 0, 1: 0, 2: 0, 3: 0 } });

    const metrics = (await request(harness.service.createHttpApp()).get('/metrics')).text;
    expect(metrics).toMatch(/fulfillment_partitions_owned\{follower="sagaReactor"\} 4/);
    expect(metrics).toMatch(/fulfillment_partition_lag_events\{follower="order_fulfillment_sagas",partition="3"\} 0/);
    expect(metrics).toMatch(/fulfillment_partition_handovers_total\{follower="sagaReactor",change="acquired"\} 4/);
  });

  it('prints the ownership table for `fulfillment partitions`', async () => {
    await ready();
    const rows = await partitionTable(harness.service);
    expect(rows.map((row) => `${row.follower}/${row.partition}`)).toEqual([
      'order_fulfillment_sagas/0',
      'order_fulfillment_sagas/1',
      'order_fulfillment_sagas/2',
      'order_fulfillment_sagas/3',
      'sagaReactor/0',
      'sagaReactor/1',
      'sagaReactor/2',
      'sagaReactor/3',
    ]);
    expect(new Set(rows.map((row) => row.owner)).size).toBe(1);
    expect(rows.every((row) => row.expiresInMs > 0 && row.token >= 1)).toBe(true);
    const table = formatPartitionTable(rows).split('\n');
    expect(table[0]).toMatch(/^FOLLOWER\s+PARTITION\s+OWNER\s+TOKEN\s+LEASE\s+CHECKPOINT\s+LAG$/);
    expect(table[5]).toMatch(/^sagaReactor\s+0\s+\S+:\d+:\w+\s+1\s+\d\.\ds left\s+\d+\s+\d+$/);
  });
});
