import { startPartitionOwnership, type PartitionOwnership } from '../../application/partitions/partitionOwnership';
import { silentLogger } from '../../application/ports/logger';
import { LeaseLostError, type PartitionLeaseStore } from '../../application/ports/partitionLeases';
import { createTestDatabase, type TestDatabase, type TestDatabaseKind } from '../../testing/testServices';
import { mysqlCheckpointStore } from '../eventStore/sqlCheckpointStore';
import { sqlSagaProjectionStorage } from '../readModel/sqlSagaProjectionStorage';
import { knexPartitionLeases } from './knexPartitionLeases';
import { checkSagaPartitions } from './sagaPartitionsSetting';
import { createPool } from 'mysql2/promise';

/**
 * Saga partition leases on both databases: copies share the partitions fairly, a stopped copy
 * hands its partitions over at once, a dead one loses them when they expire, and a copy whose lease
 * was taken over cannot move a checkpoint any more (its token is stale).
 */
jest.setTimeout(30_000);

const partitions = 8;
const leaseMs = 600;
const follower = 'testFollower';

describe.each<TestDatabaseKind>(['sqlite', 'mysql'])('partition leases on %s', (kind) => {
  let database: TestDatabase;
  let leases: PartitionLeaseStore;
  const started: PartitionOwnership[] = [];

  beforeEach(async () => {
    database = await createTestDatabase(kind);
    leases = knexPartitionLeases(database.db);
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((copy) => copy.stop().catch(() => undefined)));
    await database.drop();
  });

  const startCopy = (owner: string) => {
    const copy = startPartitionOwnership({
      leases,
      holder: { follower, owner },
      partitions,
      leaseMs,
      logger: silentLogger,
    });
    started.push(copy);
    return copy;
  };
  const ownedBy = (copy: PartitionOwnership) => copy.current().leases.map((lease) => lease.partition);
  const until = async (what: string, condition: () => boolean, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  it('gives one copy every partition, and two copies half each, never the same one twice', async () => {
    const first = startCopy('first');
    await until('the first copy to hold every partition', () => ownedBy(first).length === partitions);

    const second = startCopy('second');
    await until('an even split', () => ownedBy(first).length === 4 && ownedBy(second).length === 4);

    expect(new Set([...ownedBy(first), ...ownedBy(second)]).size).toBe(partitions);
    const table = await leases.table();
    expect(table.filter((row) => row.owner === 'first').map((row) => row.partition)).toEqual(ownedBy(first));
  });

  it('hands a stopped copy’s partitions to the others at once, and a dead one’s once they expire', async () => {
    const first = startCopy('first');
    const second = startCopy('second');
    await until('an even split', () => ownedBy(first).length === 4 && ownedBy(second).length === 4);

    await second.stop();
    const stoppedAt = Date.now();
    await until('the first copy to take everything', () => ownedBy(first).length === partitions);
    // Within a renewal (a third of the lease), not an expiry.
    expect(Date.now() - stoppedAt).toBeLessThan(leaseMs);

    // A copy that died: leases taken and never renewed.
    await first.stop();
    const dead = await leases.acquire({ follower, owner: 'dead' }, [0, 1, 2, 3, 4, 5, 6, 7], partitions, leaseMs);
    expect(dead).toHaveLength(partitions);
    const third = startCopy('third');
    await new Promise((resolve) => setTimeout(resolve, leaseMs / 3));
    expect(ownedBy(third)).toEqual([]);
    await until('the expired leases to move', () => ownedBy(third).length === partitions, leaseMs * 5);
    // Every change of owner raised the token.
    const tokens = (await leases.table()).map((row) => row.token);
    expect(Math.min(...tokens)).toBeGreaterThanOrEqual(2);
  });

  it('refuses the checkpoints of a copy whose lease was taken over, and writes nothing of its batch', async () => {
    await leases.prepare(follower, partitions);
    const [stale] = await leases.acquire({ follower, owner: 'stale' }, [3], 1, 100);
    await new Promise((resolve) => setTimeout(resolve, 150));
    const [current] = await leases.acquire({ follower, owner: 'current' }, [3], 1, 10_000);
    expect(current!.token).toBeGreaterThan(stale!.token);

    const projection = sqlSagaProjectionStorage(database.db);
    const stored = (owner: string, lease: typeof stale, position: number) =>
      projection.transaction({ follower, owner, leases: [lease!] }, position, async (store) => {
        await store.truncate(); // what the batch would write: refused with the checkpoint, or done
      });
    await stored('current', current, 100);
    const now = new Date();
    const row = { id: 1, saga_uuid: 's', order_uuid: 'o', state: 'COMPLETED', compensation_stack: '[]' };
    await database.db('order_fulfillment_sagas').insert({
      ...row,
      started_at: now,
      created_at: now,
      updated_at: now,
      last_position: 1,
    });
    await expect(stored('stale', stale, 200)).rejects.toBeInstanceOf(LeaseLostError);
    expect(await projection.loadCheckpoint(`${follower}/3`)).toBe(100);
    expect(await database.db('order_fulfillment_sagas').count({ rows: '*' })).toEqual([{ rows: 1 }]);
    // Never back, even for the owner.
    await stored('current', current, 50);
    expect(await projection.loadCheckpoint(`${follower}/3`)).toBe(100);

    if (kind === 'mysql') {
      const pool = createPool({ uri: database.url, connectionLimit: 2 });
      try {
        const checkpoints = mysqlCheckpointStore(pool);
        await checkpoints.storePartitions({ follower, owner: 'current', leases: [current!] }, 70);
        await expect(
          checkpoints.storePartitions({ follower, owner: 'stale', leases: [stale!] }, 90),
        ).rejects.toBeInstanceOf(LeaseLostError);
        expect(await checkpoints.load(`${follower}/3`)).toBe(70);
      } finally {
        await pool.end();
      }
    }
  });

  it('records SAGA_PARTITIONS once and refuses a copy started with another count, naming both', async () => {
    await checkSagaPartitions(database.db, 16);
    await checkSagaPartitions(database.db, 16);
    await expect(checkSagaPartitions(database.db, 8)).rejects.toThrow(
      /SAGA_PARTITIONS is 8 here, but this deployment was set up with 16/,
    );
  });
});
