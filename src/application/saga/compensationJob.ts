import { streamName, type FulfillmentEvent } from '../../domain/events';
import type { FulfillmentJob } from '../ports/jobQueue';
import type { JobWorkerDependencies } from './jobDependencies';
import { compensationDoneEventId } from './sagaEventIds';
import { jobEvent } from './workerEvents';

type CompensationJob = Extract<FulfillmentJob, { kind: 'compensation' }>;

/**
 * Undoes a step and records it on the step's stream. The participants are idempotent and the
 * event id is the same in every round, so a redelivered or operator-retried compensation that
 * had succeeded already appends nothing. Transient errors are thrown for the queue to retry.
 */
export async function runCompensationJob(dependencies: JobWorkerDependencies, job: CompensationJob): Promise<void> {
  const { eventStore, participants, clock } = dependencies;
  const ids = { sagaId: job.sagaId, orderId: job.orderId };
  let stream: string;
  let event: FulfillmentEvent;
  switch (job.name) {
    case 'CancelOrder':
      stream = streamName.order(job.orderId);
      event = { type: 'OrderCancelled', data: { ...ids, reason: await cancellationReason(dependencies, job) } };
      break;
    case 'CancelPrescription': {
      const { prescriptionId } = await participants.prescriptions.cancelPrescription(ids);
      stream = streamName.prescription(job.orderId);
      event = { type: 'PrescriptionCancelled', data: { ...ids, prescriptionId } };
      break;
    }
    case 'ReleaseInventory': {
      const { lines } = await participants.inventory.release(ids);
      stream = streamName.inventoryReservation(job.orderId);
      event = { type: 'InventoryReleased', data: { ...ids, lines } };
      break;
    }
    case 'CancelShipment': {
      const { shipmentId } = await participants.shipping.cancelShipment(ids);
      stream = streamName.shipment(job.orderId);
      event = { type: 'ShipmentCancelled', data: { ...ids, shipmentId } };
      break;
    }
  }
  const recorded = jobEvent(job, event, compensationDoneEventId(job.sagaId, job.name), clock);
  await eventStore.appendToStream(stream, [recorded], { expectedRevision: 'any' });
}

/** Why the order is cancelled, as the saga stream tells it: the step that failed, or the customer. */
async function cancellationReason({ eventStore }: JobWorkerDependencies, job: CompensationJob): Promise<string> {
  const events = await eventStore.readStream(streamName.saga(job.sagaId));
  const failure = events.findLast((event) => event.type === 'SagaFailed');
  if (failure?.type === 'SagaFailed') return `${failure.data.failedStep} failed: ${failure.data.reason}`;
  return 'cancelled at the customer’s request';
}
