import { fulfillmentSaga } from '../../domain/saga';
import { eventCatalog } from '../eventCatalog';
import type { SagaParticipants } from './fulfillmentSteps';
import { fulfillmentCompensations, fulfillmentSteps } from './fulfillmentSteps';
import { sampleCompensationJob, sampleStepJob } from '../../testing/sampleJobs';

/**
 * The registry (how each step is carried out) and the saga's definition (what each step is to the
 * machine) are declared apart, in their layers: this holds them together, so that a step added to
 * one and not the other, or wired to the wrong events or stream, fails here.
 */
const definition = fulfillmentSaga({
  stepDeadlinesMs: { CreatePrescription: 1_000, ReserveInventory: 1_000, InitiateShipment: 1_000 },
  retry: { attempts: 1, backoffMs: 1 },
});
const sagaId = '6f1c1e44-8a53-4b55-9a53-0d1c8c7b1a01';

/** Participants that answer every call as told, with the data a real one would give. */
const answering = (outcome: 'succeeded' | 'rejected'): SagaParticipants => {
  const rejected = { outcome, code: 'X', reason: 'no', shortLines: [], unknownSkus: [] } as never;
  return {
    prescriptions: {
      createPrescription: async () => (outcome === 'succeeded' ? { outcome, prescriptionId: 'rx' } : rejected),
      cancelPrescription: async () => ({ prescriptionId: 'rx' }),
    },
    inventory: {
      reserve: async () => (outcome === 'succeeded' ? { outcome, reservationId: 'r', lines: [] } : rejected),
      release: async () => ({ lines: [] }),
    },
    shipping: {
      initiateShipment: async () =>
        outcome === 'succeeded' ? { outcome, shipmentId: 's', carrier: 'c', trackingNumber: 't' } : rejected,
      cancelShipment: async () => ({ shipmentId: 's' }),
    },
  };
};

/** The stream category an event type belongs to, as the catalog says, and as a stream name starts. */
const categoryOf = (type: keyof typeof eventCatalog) => eventCatalog[type].stream;
const categoryOfStream = (stream: string) => stream.slice(0, stream.indexOf('-'));

describe('the fulfillment steps registry', () => {
  it('has an entry for every step of the definition, and nothing else', () => {
    expect(Object.keys(fulfillmentSteps).sort()).toEqual(definition.steps.map((step) => step.name).sort());
  });

  it.each(definition.steps.map((step) => [step.name, step] as const))(
    '%s reports the definition’s events, on the stream the catalog puts them in',
    async (name, step) => {
      const entry = fulfillmentSteps[name];
      const request = sampleStepJob({ sagaId, name }).request;
      const succeeded = await entry.run(answering('succeeded'), request);
      const rejected = await entry.run(answering('rejected'), request);
      const givenUp = entry.givenUp(request, 'STEP_TIMEOUT', 'no answer');
      expect(succeeded).toMatchObject({ outcome: 'succeeded', event: { type: step.succeededOn } });
      expect(rejected).toMatchObject({ outcome: 'rejected', event: { type: step.failedOn } });
      expect(givenUp).toMatchObject({ type: step.failedOn, data: { code: 'STEP_TIMEOUT', reason: 'no answer' } });
      const stream = categoryOfStream(entry.stream(request.orderId));
      expect([categoryOf(step.succeededOn), categoryOf(step.failedOn)]).toEqual([stream, stream]);
    },
  );

  it('runs every compensation of the definition and reports the event that completes it', async () => {
    const compensations = [definition.initialCompensation, ...definition.steps.map((step) => step.compensation!)];
    expect(Object.keys(fulfillmentCompensations).sort()).toEqual(compensations.map((c) => c.name).sort());
    for (const compensation of compensations) {
      const entry = fulfillmentCompensations[compensation.name];
      const job = sampleCompensationJob({ sagaId, name: compensation.name });
      const done = await entry.run(answering('succeeded'), job);
      expect(done.type).toBe(compensation.completedOn);
      expect(categoryOfStream(entry.stream(job.orderId))).toBe(categoryOf(compensation.completedOn));
    }
  });
});
