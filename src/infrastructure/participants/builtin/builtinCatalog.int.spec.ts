import { systemClock } from '../../../application/ports/clock';
import type { Catalog } from '../../../application/ports/participants';
import { createTestDatabase, type TestDatabase, type TestDatabaseKind } from '../../../testing/testServices';
import { aStepRequest } from '../testing/stepRequests';
import { createBuiltinCatalog } from './builtinCatalog';
import { createBuiltinInventory } from './builtinInventory';
import { demoCatalogItems, seedCatalog } from './demoCatalog';

describe.each<TestDatabaseKind>(['sqlite', 'mysql'])('built-in catalog on %s', (kind) => {
  let database: TestDatabase;
  let catalog: Catalog;

  beforeAll(async () => {
    database = await createTestDatabase(kind, { migrate: ['service'] });
    catalog = createBuiltinCatalog({ db: database.db, clock: systemClock });
  });
  afterAll(() => database.drop());

  it('creates an item, then updates only the fields given', async () => {
    const created = await catalog.putItem('CAT-1', { name: 'Cetirizine 10 mg tablets', onHand: 40 });
    expect(created).toEqual({
      sku: 'CAT-1',
      name: 'Cetirizine 10 mg tablets',
      controlled: false,
      onHand: 40,
      reserved: 0,
      available: 40,
    });

    const updated = await catalog.putItem('CAT-1', { controlled: true, onHand: 55 });
    expect(updated).toEqual({ ...created, controlled: true, onHand: 55, available: 55 });
    expect(await catalog.getItem('CAT-1')).toEqual(updated);
  });

  it('answers undefined for an unknown sku', async () => {
    expect(await catalog.getItem('NOPE')).toBeUndefined();
  });

  it('needs a name to create an item, and names the field', async () => {
    await expect(catalog.putItem('CAT-NONAME', { onHand: 5 })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ field: 'name', message: expect.stringContaining('required') }],
    });
    expect(await catalog.getItem('CAT-NONAME')).toBeUndefined();
  });

  it('rejects a negative or fractional onHand and an empty name', async () => {
    await expect(catalog.putItem('CAT-BAD', { name: ' ', onHand: -1 })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [expect.objectContaining({ field: 'onHand' }), expect.objectContaining({ field: 'name' })],
    });
    await expect(catalog.putItem('CAT-BAD', { name: 'x', onHand: 1.5 })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });

  it('refuses onHand below what is reserved, so available never goes negative', async () => {
    await catalog.putItem('CAT-RES', { name: 'Loratadine 10 mg tablets', onHand: 10 });
    const inventory = createBuiltinInventory({ db: database.db, clock: systemClock });
    await inventory.reserve(aStepRequest({ medications: [{ sku: 'CAT-RES', quantity: 7 }] }));

    await expect(catalog.putItem('CAT-RES', { onHand: 6 })).rejects.toMatchObject({
      code: 'STOCK_BELOW_RESERVED',
      message: expect.stringContaining('at least 7'),
    });
    expect(await catalog.getItem('CAT-RES')).toMatchObject({ onHand: 10, reserved: 7, available: 3 });
    expect(await catalog.putItem('CAT-RES', { onHand: 7 })).toMatchObject({ onHand: 7, reserved: 7, available: 0 });
  });

  it('describes the known items among the skus asked for', async () => {
    await catalog.putItem('CAT-D1', { name: 'Diazepam 5 mg tablets', controlled: true, onHand: 1 });
    const items = await catalog.describeItems(['CAT-D1', 'CAT-1', 'UNKNOWN']);
    expect(items.map((item) => [item.sku, item.controlled])).toEqual([
      ['CAT-1', true],
      ['CAT-D1', true],
    ]);
    expect(await catalog.describeItems([])).toEqual([]);
  });

  it('seeds the demo catalog, and seeding again changes nothing', async () => {
    const first = await seedCatalog(catalog);
    const second = await seedCatalog(catalog);
    expect(second).toEqual(first);
    expect(first).toHaveLength(demoCatalogItems.length);
    expect(first.some((item) => item.controlled)).toBe(true);
    expect(first.some((item) => !item.controlled)).toBe(true);
    for (const item of demoCatalogItems)
      expect(await catalog.getItem(item.sku)).toMatchObject({ ...item, reserved: 0 });
  });
});
