import { streamName, type FulfillmentEvent, type OrderCreated } from '../../domain/events';
import type { ForwardStepName } from '../../domain/saga/sagaVocabulary';
import { ConcurrencyError } from '../errors';
import type { EventStore, NewEvent } from '../ports/eventStore';
import type { FulfillmentJob } from '../ports/jobQueue';
import type { StepRequest } from '../ports/participants';
import type { JobWorkerDependencies } from './jobDependencies';
import { stepOutcomeEventId } from './sagaEventIds';
import { stepStreams } from './stepStreams';
import { jobEvent } from './workerEvents';

type StepJob = Extract<FulfillmentJob, { kind: 'step' }>;

/** Failures recorded by the saga's side, not by the participant: the participant may still have acted. */
const givenUpCodes: ReadonlySet<string> = new Set(['STEP_TIMEOUT', 'RETRIES_EXHAUSTED']);

/** What a step job did: the outcome it recorded, or nothing because the step was settled already. */
export type StepJobResult = 'succeeded' | 'rejected' | 'alreadyCompensated' | 'alreadySettled';

/**
 * Runs a forward step: asks the participant and records its answer on the step's stream. A
 * business rejection is recorded at once (never retried); a transient error is thrown for the
 * queue to retry.
 *
 * A step whose participant has answered already (a success or a rejection is recorded) is not run
 * again: a redelivered job has nothing left to do. A step the saga gave up on (a timeout, or
 * retries exhausted) is still asked, because the participant may have acted without its answer
 * being recorded (a worker that died between the two): the call is idempotent, so it replays that
 * success, which the saga then compensates as a late one, or finds the compensation's tombstone
 * and does nothing. Skipping it would leave such a side effect in place for good.
 */
export async function runStepJob(dependencies: JobWorkerDependencies, job: StepJob): Promise<StepJobResult> {
  const { eventStore, clock } = dependencies;
  const { stream, succeeded, failed } = stepStreams[job.name];
  const stepEvents = await eventStore.readStream(stream(job.orderId));
  const participantAnswered = (event: (typeof stepEvents)[number]) =>
    event.type === succeeded || (event.type === failed && !givenUpCodes.has((event.data as { code: string }).code));
  if (stepEvents.some(participantAnswered)) return 'alreadySettled';

  const request = await stepRequestOf(eventStore, job);
  const outcome = await callParticipant(dependencies, job.name, request);
  if (outcome.outcome === 'alreadyCompensated') return 'alreadyCompensated';

  const kind = outcome.outcome === 'succeeded' ? 'succeeded' : 'rejected';
  const event = jobEvent(job, outcome.event, stepOutcomeEventId(job.sagaId, job.name, kind), clock);
  await appendOutcome(eventStore, stream(job.orderId), event, stepEvents.at(-1)?.revision);
  return kind;
}

/**
 * Appends the outcome after the step events just read, which spares the store a read of the
 * stream's revision; if something was appended meanwhile (a deadline's timeout), appends after it.
 */
async function appendOutcome(
  eventStore: EventStore,
  stream: string,
  event: NewEvent,
  lastReadRevision: number | undefined,
): Promise<void> {
  try {
    await eventStore.appendToStream(stream, [event], { expectedRevision: lastReadRevision ?? 'no_stream' });
  } catch (error) {
    if (!(error instanceof ConcurrencyError)) throw error;
    await eventStore.appendToStream(stream, [event], { expectedRevision: 'any' });
  }
}

/** The order as the customer placed it: every step works from its OrderCreated. */
async function stepRequestOf(eventStore: EventStore, job: StepJob): Promise<StepRequest> {
  const [created] = await eventStore.readStream(streamName.order(job.orderId), { maxCount: 1 });
  if (created?.type !== 'OrderCreated') {
    throw new Error(
      `order ${job.orderId} has no OrderCreated event: step ${job.name} of saga ${job.sagaId} cannot run`,
    );
  }
  const { data } = created as OrderCreated;
  return {
    sagaId: data.sagaId,
    orderId: data.orderId,
    patientId: data.patientId,
    prescriberId: data.prescriberId,
    medications: data.medications,
    shippingAddress: data.shippingAddress,
  };
}

type ParticipantAnswer =
  | Readonly<{ outcome: 'succeeded' | 'rejected'; event: FulfillmentEvent }>
  | Readonly<{ outcome: 'alreadyCompensated' }>;

async function callParticipant(
  { participants }: JobWorkerDependencies,
  step: ForwardStepName,
  request: StepRequest,
): Promise<ParticipantAnswer> {
  const ids = { sagaId: request.sagaId, orderId: request.orderId };
  switch (step) {
    case 'CreatePrescription': {
      const answer = await participants.prescriptions.createPrescription(request);
      if (answer.outcome === 'alreadyCompensated') return answer;
      return answer.outcome === 'succeeded'
        ? {
            outcome: 'succeeded',
            event: { type: 'PrescriptionCreated', data: { ...ids, prescriptionId: answer.prescriptionId } },
          }
        : {
            outcome: 'rejected',
            event: { type: 'PrescriptionFailed', data: { ...ids, code: answer.code, reason: answer.reason } },
          };
    }
    case 'ReserveInventory': {
      const answer = await participants.inventory.reserve(request);
      if (answer.outcome === 'alreadyCompensated') return answer;
      return answer.outcome === 'succeeded'
        ? {
            outcome: 'succeeded',
            event: {
              type: 'InventoryReserved',
              data: { ...ids, reservationId: answer.reservationId, lines: answer.lines },
            },
          }
        : {
            outcome: 'rejected',
            event: {
              type: 'InventoryReservationFailed',
              data: {
                ...ids,
                code: answer.code,
                reason: answer.reason,
                shortLines: answer.shortLines,
                unknownSkus: answer.unknownSkus,
              },
            },
          };
    }
    case 'InitiateShipment': {
      const answer = await participants.shipping.initiateShipment(request);
      if (answer.outcome === 'alreadyCompensated') return answer;
      return answer.outcome === 'succeeded'
        ? {
            outcome: 'succeeded',
            event: {
              type: 'ShipmentInitiated',
              data: {
                ...ids,
                shipmentId: answer.shipmentId,
                carrier: answer.carrier,
                trackingNumber: answer.trackingNumber,
              },
            },
          }
        : {
            outcome: 'rejected',
            event: { type: 'ShipmentInitiationFailed', data: { ...ids, code: answer.code, reason: answer.reason } },
          };
    }
  }
}
