import request from 'supertest';
import { orderFulfillmentSagasProjection } from '../../application/projections/orderFulfillmentSagasProjection';
import { projectionCompleteThrough } from './readModelCompleteness';
import { allEvents, startTestService, testTokens, validOrder, type TestService } from './testing/testService';

describe.each(['sqlite', 'mysql'] as const)('how far the read model is complete, on %s', (kind) => {
  let harness: TestService;
  beforeAll(async () => {
    harness = await startTestService(kind);
  });
  afterAll(() => harness.dispose());

  const placeOrder = async () => {
    const app = harness.service.createHttpApp();
    const response = await request(app)
      .post('/orders')
      .set('Authorization', `Bearer ${testTokens.client}`)
      .send(validOrder());
    expect(response.status).toBe(202);
  };
  const head = async () => (await allEvents(harness.service.eventStore)).at(-1)!.position;
  const completeThrough = () =>
    projectionCompleteThrough(
      harness.service.serviceDb,
      harness.service.eventStore,
      orderFulfillmentSagasProjection.name,
      harness.service.config.partitions.count,
    );

  it('reaches the last event once the projection has it, though quiet partitions keep older checkpoints, and stops before an event not projected yet', async () => {
    for (let i = 0; i < 3; i++) await placeOrder();
    const projection = harness.service.startProjection();
    const projected = await head();
    await projection.waitForPosition(projected, 10_000);
    // The projection commits its rows and its checkpoints together: complete at once, no waiting
    // for the quiet partitions' checkpoints to be stored.
    expect(await completeThrough()).toBe(projected);
    await projection.stop();

    await placeOrder();
    const unprojected = (await allEvents(harness.service.eventStore)).filter((event) => event.position > projected);
    expect(unprojected.length).toBeGreaterThan(0);
    expect(await completeThrough()).toBe(projected);

    const again = harness.service.startProjection();
    await again.waitForPosition(await head(), 10_000);
    expect(await completeThrough()).toBe(await head());
    await again.stop();
  });
});
