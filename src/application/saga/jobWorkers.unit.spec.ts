import { fulfillmentSaga } from '../../domain/saga';
import { sampleStepJob } from '../../testing/sampleJobs';
import { systemClock } from '../ports/clock';
import type { EventStore, NewEvent } from '../ports/eventStore';
import { RetryLaterError, type FulfillmentJob } from '../ports/jobQueue';
import { silentLogger } from '../ports/logger';
import type { JobMetrics, SagaParticipants } from './jobDependencies';
import { createJobHandlers } from './jobWorkers';

/**
 * The job handlers ask the infrastructure (`retryLater`) whether a failed try counted; what it
 * says is not, they defer (RetryLaterError) and leave the retry and dead-letter counts alone.
 */
const definition = fulfillmentSaga({
  stepDeadlinesMs: { CreatePrescription: 1_000, ReserveInventory: 1_000, InitiateShipment: 1_000 },
  retry: { attempts: 3, backoffMs: 1 },
});
const job = sampleStepJob({ sagaId: '6f1c1e44-8a53-4b55-9a53-0d1c8c7b1a01', name: 'CreatePrescription' });

class StorageAway extends Error {}
class ParticipantDown extends Error {}

function setUp(createPrescription: () => Promise<never>) {
  const appended: NewEvent[] = [];
  let storageAway = false;
  const eventStore = {
    appendToStream: async (_stream: string, events: readonly NewEvent[]) => {
      if (storageAway) throw new StorageAway('connect ECONNREFUSED');
      appended.push(...events);
      return { nextExpectedRevision: 0, lastPosition: appended.length };
    },
  } as unknown as EventStore;
  const counts: string[] = [];
  const metrics: JobMetrics = {
    stepDuration: (step, outcome) => void counts.push(`duration ${step} ${outcome}`),
    compensationDuration: () => undefined,
    jobRetried: (kind, name) => void counts.push(`retried ${kind} ${name}`),
    jobFailed: (kind, name) => void counts.push(`failed ${kind} ${name}`),
  };
  const participants = { prescriptions: { createPrescription } } as unknown as SagaParticipants;
  const asked: FulfillmentJob[] = [];
  const handlers = createJobHandlers({
    eventStore,
    definition,
    participants,
    clock: systemClock,
    logger: silentLogger,
    metrics,
    retryLater: (of, error) => {
      asked.push(of);
      return error instanceof StorageAway ? new RetryLaterError('storage_unavailable', 100, error.message) : undefined;
    },
  });
  return { handlers, appended, counts, asked, storage: (away: boolean) => (storageAway = away) };
}

describe('job handlers: tries that do not count', () => {
  it('defers a try the infrastructure says did not count, without counting a retry', async () => {
    const { handlers, counts, asked } = setUp(async () => {
      throw new StorageAway('connect ECONNREFUSED');
    });
    const thrown = await handlers.handle(job, { attempt: 2 }).catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(RetryLaterError);
    expect(thrown).toMatchObject({ reason: 'storage_unavailable', delayMs: 100 });
    expect(asked).toEqual([job]);
    expect(counts).toEqual(['duration CreatePrescription deferred']);
  });

  it('throws a try that counted as it came, and counts it', async () => {
    const down = new ParticipantDown('answered 500');
    const { handlers, counts } = setUp(async () => {
      throw down;
    });
    await expect(handlers.handle(job, { attempt: 1 })).rejects.toBe(down);
    expect(counts).toEqual(['duration CreatePrescription error', 'retried step CreatePrescription']);
  });

  it('defers the give-up while it cannot be recorded, and records and counts it once it can', async () => {
    const { handlers, counts, appended, storage } = setUp(async () => {
      throw new ParticipantDown('answered 500');
    });
    storage(true);
    await expect(handlers.onFailed(job, new Error('answered 500'))).rejects.toBeInstanceOf(RetryLaterError);
    expect(counts).toEqual([]);
    expect(appended).toEqual([]);

    storage(false);
    await handlers.onFailed(job, new Error('answered 500'));
    expect(counts).toEqual(['failed step CreatePrescription']);
    expect(appended).toEqual([
      expect.objectContaining({
        type: 'PrescriptionFailed',
        data: expect.objectContaining({ code: 'RETRIES_EXHAUSTED' }),
      }),
    ]);
  });
});
