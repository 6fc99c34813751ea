import type { SagaContext, SagaIntent } from '../../domain/saga';
import type { EnqueueOptions, FulfillmentJob } from '../ports/jobQueue';
import type { StepRequest } from '../ports/participants';

/** The saga's intents as queue jobs: the only side effects a decision has besides its events. */
export type QueuedJob = Readonly<{ job: FulfillmentJob; options?: EnqueueOptions }>;

export type IntentOrigin = Readonly<{
  /** The order as placed: a step job carries it, so that its worker reads nothing. */
  order: StepRequest;
  /** The saga after the decision: why it unwinds, for a compensation job. */
  context: SagaContext;
  causationId: string;
  traceparent?: string;
}>;

export function jobsForIntents(intents: readonly SagaIntent[], origin: IntentOrigin): QueuedJob[] {
  const { order, context } = origin;
  const base = {
    sagaId: order.sagaId,
    orderId: order.orderId,
    causationId: origin.causationId,
    ...(origin.traceparent ? { traceparent: origin.traceparent } : {}),
  };
  return intents.map((intent): QueuedJob => {
    switch (intent.type) {
      case 'runStep':
        return {
          job: { ...base, kind: 'step', name: intent.step, request: order, deadlineMs: intent.deadlineMs },
          options: { retry: intent.retry },
        };
      case 'runCompensation':
        return {
          job: {
            ...base,
            kind: 'compensation',
            name: intent.compensation,
            round: intent.round,
            reason: unwindingReason(context),
          },
          options: { retry: intent.retry },
        };
    }
  });
}

/** Why the saga undoes its steps, as CancelOrder records it: the step that failed, or the customer. */
function unwindingReason({ failure }: SagaContext): string {
  return failure ? `${failure.step} failed: ${failure.reason}` : 'cancelled at the customer’s request';
}
