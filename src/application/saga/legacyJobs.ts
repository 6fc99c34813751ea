import { streamName, type OrderCreated } from '../../domain/events';
import type { SagaDefinition } from '../../domain/saga';
import type { EventStore } from '../ports/eventStore';
import type { FulfillmentJob } from '../ports/jobQueue';

/**
 * Jobs queued by the version before step deadlines became start-to-close may still be waiting in
 * a queue when this version starts. They lacked what a job now carries, so they are completed here
 * from the event log, once each, on the rare path:
 * - a `deadline` job (a delayed job per step) is dropped: the step's own job now times each try;
 * - a step job gets its order (the OrderCreated data) and its step's deadline from the definition;
 * - a compensation job gets the reason its saga unwinds, as its saga stream tells it.
 * Undefined means the job has nothing left to do.
 */
export async function upgradeLegacyJob(
  eventStore: EventStore,
  definition: SagaDefinition,
  job: FulfillmentJob,
): Promise<FulfillmentJob | undefined> {
  if ((job.kind as string) === 'deadline') return undefined;
  if (job.kind === 'step' && job.request === undefined) {
    const [created] = await eventStore.readStream(streamName.order(job.orderId), { maxCount: 1 });
    if (created?.type !== 'OrderCreated') {
      throw new Error(
        `order ${job.orderId} has no OrderCreated event: step ${job.name} of saga ${job.sagaId} cannot run`,
      );
    }
    const { sagaId, orderId, patientId, prescriberId, medications, shippingAddress } = (created as OrderCreated).data;
    const deadlineMs = definition.steps.find((step) => step.name === job.name)!.deadlineMs;
    return { ...job, request: { sagaId, orderId, patientId, prescriberId, medications, shippingAddress }, deadlineMs };
  }
  if (job.kind === 'compensation' && job.reason === undefined) {
    const events = await eventStore.readStream(streamName.saga(job.sagaId));
    const failure = events.findLast((event) => event.type === 'SagaFailed');
    const reason =
      failure?.type === 'SagaFailed'
        ? `${failure.data.failedStep} failed: ${failure.data.reason}`
        : 'cancelled at the customer’s request';
    return { ...job, reason };
  }
  return job;
}
