import type { EventMetadata, FulfillmentEvent } from '../../domain/events';
import { currentSchemaVersion } from '../eventCatalog';
import type { Clock } from '../ports/clock';
import type { NewEvent } from '../ports/eventStore';
import { jobIdOf, type FulfillmentJob } from '../ports/jobQueue';

/**
 * An event a job reports, with the metadata of SPEC §3: the saga as correlation, the job as
 * causation, and a deterministic id (see sagaEventIds.ts) so a redelivered job appends nothing new.
 */
export function jobEvent<E extends FulfillmentEvent>(
  job: FulfillmentJob,
  event: E,
  eventId: string,
  clock: Clock,
): NewEvent {
  const metadata: EventMetadata = {
    eventId,
    correlationId: job.sagaId,
    causationId: jobIdOf(job),
    occurredAt: clock.now().toISOString(),
    schemaVersion: currentSchemaVersion(event.type),
    ...(job.traceparent ? { traceparent: job.traceparent } : {}),
  };
  return { ...event, metadata } as NewEvent;
}
