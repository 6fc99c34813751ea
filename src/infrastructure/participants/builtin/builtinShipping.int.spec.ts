import { systemClock } from '../../../application/ports/clock';
import type { ShippingParticipant } from '../../../application/ports/participants';
import { createTestDatabase, type TestDatabase, type TestDatabaseKind } from '../../../testing/testServices';
import { aStepRequest, compensationOf } from '../testing/stepRequests';
import { createBuiltinShipping } from './builtinShipping';

describe.each<TestDatabaseKind>(['sqlite', 'mysql'])('built-in shipping on %s', (kind) => {
  let database: TestDatabase;
  let shipping: ShippingParticipant;
  const shipmentCount = async (sagaId: string) =>
    (await database.db('shipments').where({ saga_id: sagaId }).whereNotNull('shipment_id')).length;
  const to = (country: string) =>
    aStepRequest({ shippingAddress: { line1: '10 High Street', city: 'Somewhere', postalCode: 'AB1 2CD', country } });

  beforeAll(async () => {
    database = await createTestDatabase(kind, { migrate: ['service'] });
    shipping = createBuiltinShipping({ db: database.db, clock: systemClock, shippingCountries: ['US', 'GB', 'DE'] });
  });
  afterAll(() => database.drop());

  it.each([
    ['US', 'UPS', /^1Z\d{16}$/],
    ['GB', 'Royal Mail', /^RM\d{16}$/],
    ['DE', 'DHL', /^DH\d{16}$/],
  ])('ships to %s with %s and a tracking number', async (country, carrier, tracking) => {
    expect(await shipping.initiateShipment(to(country))).toEqual({
      outcome: 'succeeded',
      shipmentId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      carrier,
      trackingNumber: expect.stringMatching(tracking),
    });
  });

  it('rejects with UNSUPPORTED_DESTINATION a country not configured', async () => {
    const request = to('FR');
    expect(await shipping.initiateShipment(request)).toEqual({
      outcome: 'rejected',
      code: 'UNSUPPORTED_DESTINATION',
      reason: expect.stringContaining('FR'),
    });
    expect(await shipmentCount(request.sagaId)).toBe(0);
  });

  it('a redelivered request ships once and answers with the same tracking number', async () => {
    const request = to('US');
    const outcomes = await Promise.all([1, 2, 3].map(() => shipping.initiateShipment(request)));
    for (const outcome of outcomes) expect(outcome).toEqual(outcomes[0]);
    expect(await shipping.initiateShipment(request)).toEqual(outcomes[0]);
    expect(await shipmentCount(request.sagaId)).toBe(1);
  });

  it('a cancel that overtakes a late shipment leaves a tombstone: the late shipment does nothing', async () => {
    const request = to('US');
    expect(await shipping.cancelShipment(compensationOf(request))).toEqual({ shipmentId: null });
    expect(await shipping.initiateShipment(request)).toEqual({ outcome: 'alreadyCompensated' });
    expect(await shipmentCount(request.sagaId)).toBe(0);
  });

  it('cancels a shipment once; a redelivered cancel answers the same', async () => {
    const request = to('GB');
    const shipped = await shipping.initiateShipment(request);
    if (shipped.outcome !== 'succeeded') throw new Error('expected a shipment');
    expect(await shipping.cancelShipment(compensationOf(request))).toEqual({ shipmentId: shipped.shipmentId });
    expect(await shipping.cancelShipment(compensationOf(request))).toEqual({ shipmentId: shipped.shipmentId });
    expect(await shipping.initiateShipment(request)).toEqual({ outcome: 'alreadyCompensated' });
  });
});
