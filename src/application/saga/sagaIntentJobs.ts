import type { EnqueueOptions, FulfillmentJob } from '../ports/jobQueue';
import type { SagaIntent } from '../../domain/saga';

/** The saga's intents as queue jobs: the only side effects a decision has besides its events. */
export type QueuedJob = Readonly<{ job: FulfillmentJob; options?: EnqueueOptions }>;

export type IntentOrigin = Readonly<{ sagaId: string; orderId: string; causationId: string; traceparent?: string }>;

export function jobsForIntents(intents: readonly SagaIntent[], origin: IntentOrigin): QueuedJob[] {
  const base = {
    sagaId: origin.sagaId,
    orderId: origin.orderId,
    causationId: origin.causationId,
    ...(origin.traceparent ? { traceparent: origin.traceparent } : {}),
  };
  return intents.map((intent): QueuedJob => {
    switch (intent.type) {
      case 'runStep':
        return { job: { ...base, kind: 'step', name: intent.step }, options: { retry: intent.retry } };
      case 'scheduleDeadline':
        return { job: { ...base, kind: 'deadline', name: intent.step }, options: { delayMs: intent.delayMs } };
      case 'runCompensation':
        return {
          job: { ...base, kind: 'compensation', name: intent.compensation, round: intent.round },
          options: { retry: intent.retry },
        };
    }
  });
}
