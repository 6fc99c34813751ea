import { systemClock } from '../../../application/ports/clock';
import { createMysqlTestDatabase, type TestDatabase } from '../../../testing/testServices';
import { aStepRequest } from '../testing/stepRequests';
import { createBuiltinCatalog } from './builtinCatalog';
import { createBuiltinInventory } from './builtinInventory';

/**
 * Many reservations racing for one sku on MariaDB, on a pool of several connections: the
 * conditional update must let exactly as many through as the stock covers.
 */
describe('built-in inventory under concurrency on MariaDB', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createMysqlTestDatabase({ migrate: ['service'] });
  });
  afterAll(() => database.drop());

  it('50 concurrent reservations of 3 against 100 on hand: exactly 33 succeed, available never negative', async () => {
    const catalog = createBuiltinCatalog({ db: database.db, clock: systemClock });
    const inventory = createBuiltinInventory({ db: database.db, clock: systemClock });
    await catalog.putItem('HOT', { name: 'Amoxicillin 500 mg capsules', onHand: 100 });
    await catalog.putItem('COLD', { name: 'Ibuprofen 200 mg tablets', onHand: 1000 });

    const lowest = { available: Infinity };
    const watching = (async () => {
      for (let i = 0; i < 200 && lowest.available > 1; i++) {
        lowest.available = Math.min(lowest.available, (await catalog.getItem('HOT'))!.available);
        const [row] = await database
          .db('catalog_items')
          .where({ sku: 'HOT' })
          .select(database.db.raw('on_hand - reserved as raw_available'));
        lowest.available = Math.min(lowest.available, Number(row.raw_available));
      }
    })();
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        inventory.reserve(
          aStepRequest({
            medications: [
              { sku: 'HOT', quantity: 3 },
              { sku: 'COLD', quantity: 1 + (i % 2) },
            ],
          }),
        ),
      ),
    );
    await watching;

    const succeeded = outcomes.filter((outcome) => outcome.outcome === 'succeeded');
    const rejected = outcomes.filter((outcome) => outcome.outcome === 'rejected');
    expect(succeeded).toHaveLength(Math.floor(100 / 3));
    expect(rejected).toHaveLength(50 - 33);
    for (const outcome of rejected) {
      expect(outcome).toMatchObject({ code: 'INSUFFICIENT_STOCK', shortLines: [{ sku: 'HOT', requested: 3 }] });
    }
    const hot = (await catalog.getItem('HOT'))!;
    expect(hot).toMatchObject({ onHand: 100, reserved: 99, available: 1 });
    const coldReserved = succeeded.reduce(
      (sum, outcome) =>
        sum + (outcome.outcome === 'succeeded' ? outcome.lines.find((l) => l.sku === 'COLD')!.quantity : 0),
      0,
    );
    expect((await catalog.getItem('COLD'))!.reserved).toBe(coldReserved);
    expect(lowest.available).toBeGreaterThanOrEqual(0);
  });
});
