import { systemClock } from '../../../application/ports/clock';
import type { Catalog, InventoryParticipant } from '../../../application/ports/participants';
import { createTestDatabase, type TestDatabase, type TestDatabaseKind } from '../../../testing/testServices';
import { aStepRequest, compensationOf } from '../testing/stepRequests';
import { createBuiltinCatalog } from './builtinCatalog';
import { createBuiltinInventory } from './builtinInventory';

describe.each<TestDatabaseKind>(['sqlite', 'mysql'])('built-in inventory on %s', (kind) => {
  let database: TestDatabase;
  let catalog: Catalog;
  let inventory: InventoryParticipant;
  let skuCount = 0;

  beforeAll(async () => {
    database = await createTestDatabase(kind, { migrate: ['service'] });
    catalog = createBuiltinCatalog({ db: database.db, clock: systemClock });
    inventory = createBuiltinInventory({ db: database.db, clock: systemClock });
  });
  afterAll(() => database.drop());

  /** A fresh item per test, so tests never share stock. */
  const anItem = async (onHand: number) => {
    const sku = `SKU-${++skuCount}`;
    await catalog.putItem(sku, { name: `Item ${sku}`, onHand });
    return sku;
  };
  const stockOf = async (sku: string) => {
    const item = (await catalog.getItem(sku))!;
    return { onHand: item.onHand, reserved: item.reserved, available: item.available };
  };
  /** `reserved` must always equal what the open reservation lines hold. */
  const expectReservedMatchesLines = async (sku: string) => {
    const [row] = await database
      .db('inventory_reservation_lines')
      .where({ sku, status: 'reserved' })
      .sum({ total: 'quantity' });
    expect((await catalog.getItem(sku))!.reserved).toBe(Number(row?.total ?? 0));
  };

  it('reserves every line of the order and lowers available', async () => {
    const [a, b] = [await anItem(10), await anItem(5)];
    const request = aStepRequest({
      medications: [
        { sku: b, quantity: 5 },
        { sku: a, quantity: 3 },
      ],
    });

    const outcome = await inventory.reserve(request);

    expect(outcome).toEqual({
      outcome: 'succeeded',
      reservationId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      lines: expect.arrayContaining([
        { sku: a, quantity: 3 },
        { sku: b, quantity: 5 },
      ]),
    });
    expect(await stockOf(a)).toEqual({ onHand: 10, reserved: 3, available: 7 });
    expect(await stockOf(b)).toEqual({ onHand: 5, reserved: 5, available: 0 });
    await expectReservedMatchesLines(a);
  });

  it('a redelivered reservation takes stock once and answers as the first time', async () => {
    const sku = await anItem(10);
    const request = aStepRequest({ medications: [{ sku, quantity: 4 }] });

    const first = await inventory.reserve(request);
    const again = await inventory.reserve(request);

    expect(again).toEqual(first);
    expect(await stockOf(sku)).toEqual({ onHand: 10, reserved: 4, available: 6 });
  });

  it('concurrent deliveries of one reservation take stock once', async () => {
    const sku = await anItem(10);
    const request = aStepRequest({ medications: [{ sku, quantity: 4 }] });

    const outcomes = await Promise.all(Array.from({ length: 6 }, () => inventory.reserve(request)));

    expect(outcomes[0]!.outcome).toBe('succeeded');
    for (const outcome of outcomes) expect(outcome).toEqual(outcomes[0]);
    expect(await stockOf(sku)).toEqual({ onHand: 10, reserved: 4, available: 6 });
    await expectReservedMatchesLines(sku);
  });

  it('rejects with UNKNOWN_SKU listing every unknown sku, and takes nothing', async () => {
    const known = await anItem(10);
    const request = aStepRequest({
      medications: [
        { sku: known, quantity: 1 },
        { sku: 'GHOST-1', quantity: 1 },
        { sku: 'GHOST-2', quantity: 1 },
      ],
    });

    expect(await inventory.reserve(request)).toEqual({
      outcome: 'rejected',
      code: 'UNKNOWN_SKU',
      reason: expect.stringContaining('GHOST-1'),
      shortLines: [],
      unknownSkus: ['GHOST-1', 'GHOST-2'],
    });
    expect(await stockOf(known)).toEqual({ onHand: 10, reserved: 0, available: 10 });
  });

  it('rejects with INSUFFICIENT_STOCK listing every short line, all or nothing', async () => {
    const [plenty, short1, short2] = [await anItem(100), await anItem(3), await anItem(10)];
    await inventory.reserve(aStepRequest({ medications: [{ sku: short2, quantity: 8 }] }));
    const request = aStepRequest({
      medications: [
        { sku: plenty, quantity: 50 },
        { sku: short1, quantity: 4 },
        { sku: short2, quantity: 3 },
      ],
    });

    expect(await inventory.reserve(request)).toEqual({
      outcome: 'rejected',
      code: 'INSUFFICIENT_STOCK',
      reason: expect.stringContaining(short1),
      shortLines: [
        { sku: short1, requested: 4, available: 3 },
        { sku: short2, requested: 3, available: 2 },
      ],
      unknownSkus: [],
    });
    expect(await stockOf(plenty)).toEqual({ onHand: 100, reserved: 0, available: 100 });
    expect(await stockOf(short1)).toEqual({ onHand: 3, reserved: 0, available: 3 });
    expect(await stockOf(short2)).toEqual({ onHand: 10, reserved: 8, available: 2 });
    await expectReservedMatchesLines(plenty);
  });

  it('takes a line that needs exactly what is available', async () => {
    const sku = await anItem(6);
    await inventory.reserve(aStepRequest({ medications: [{ sku, quantity: 2 }] }));
    const outcome = await inventory.reserve(aStepRequest({ medications: [{ sku, quantity: 4 }] }));
    expect(outcome.outcome).toBe('succeeded');
    expect(await stockOf(sku)).toEqual({ onHand: 6, reserved: 6, available: 0 });
  });

  it('a redelivered rejection stays a rejection even after stock arrives', async () => {
    const sku = await anItem(1);
    const request = aStepRequest({ medications: [{ sku, quantity: 2 }] });
    const first = await inventory.reserve(request);
    await catalog.putItem(sku, { onHand: 50 });

    expect(await inventory.reserve(request)).toEqual(first);
    expect(first).toMatchObject({ outcome: 'rejected', code: 'INSUFFICIENT_STOCK' });
    expect(await stockOf(sku)).toEqual({ onHand: 50, reserved: 0, available: 50 });
  });

  it('release restores exactly what was reserved, once', async () => {
    const [a, b] = [await anItem(10), await anItem(20)];
    await inventory.reserve(aStepRequest({ medications: [{ sku: a, quantity: 1 }] }));
    const request = aStepRequest({
      medications: [
        { sku: a, quantity: 4 },
        { sku: b, quantity: 7 },
      ],
    });
    await inventory.reserve(request);

    const released = await inventory.release(compensationOf(request));
    const again = await inventory.release(compensationOf(request));

    expect(released.lines).toEqual([
      { sku: a, quantity: 4 },
      { sku: b, quantity: 7 },
    ]);
    expect(again).toEqual(released);
    expect(await stockOf(a)).toEqual({ onHand: 10, reserved: 1, available: 9 });
    expect(await stockOf(b)).toEqual({ onHand: 20, reserved: 0, available: 20 });
    await expectReservedMatchesLines(a);
  });

  it('concurrent releases give the stock back once', async () => {
    const sku = await anItem(10);
    const request = aStepRequest({ medications: [{ sku, quantity: 6 }] });
    await inventory.reserve(request);

    const results = await Promise.all(Array.from({ length: 5 }, () => inventory.release(compensationOf(request))));

    for (const result of results) expect(result).toEqual({ lines: [{ sku, quantity: 6 }] });
    expect(await stockOf(sku)).toEqual({ onHand: 10, reserved: 0, available: 10 });
  });

  it('a reservation redelivered after its release does nothing and says so', async () => {
    const sku = await anItem(10);
    const request = aStepRequest({ medications: [{ sku, quantity: 3 }] });
    await inventory.reserve(request);
    await inventory.release(compensationOf(request));

    expect(await inventory.reserve(request)).toEqual({ outcome: 'alreadyCompensated' });
    expect(await stockOf(sku)).toEqual({ onHand: 10, reserved: 0, available: 10 });
  });

  it('a release that overtakes its reservation leaves a tombstone: the late reservation takes nothing', async () => {
    const sku = await anItem(10);
    const request = aStepRequest({ medications: [{ sku, quantity: 3 }] });

    expect(await inventory.release(compensationOf(request))).toEqual({ lines: [] });
    expect(await inventory.reserve(request)).toEqual({ outcome: 'alreadyCompensated' });
    expect(await inventory.release(compensationOf(request))).toEqual({ lines: [] });
    expect(await stockOf(sku)).toEqual({ onHand: 10, reserved: 0, available: 10 });
  });

  it('releasing a rejected reservation gives back nothing', async () => {
    const sku = await anItem(1);
    await inventory.reserve(aStepRequest({ medications: [{ sku, quantity: 1 }] }));
    const request = aStepRequest({ medications: [{ sku, quantity: 5 }] });
    await inventory.reserve(request);

    expect(await inventory.release(compensationOf(request))).toEqual({ lines: [] });
    expect(await stockOf(sku)).toEqual({ onHand: 1, reserved: 1, available: 0 });
  });
});
