import { v4 as uuidv4 } from 'uuid';
import type { EventMetadata } from '../../domain/events';
import type { FulfillmentEventType } from '../../domain/events';
import type { SagaDefinition } from '../../domain/saga';
import { currentSchemaVersion } from '../eventCatalog';
import type { Clock } from '../ports/clock';
import type { EventStore } from '../ports/eventStore';

/** What every command handler needs from outside; the saga's definition to load a saga as the reactor does. */
export type CommandDependencies = Readonly<{ eventStore: EventStore; clock: Clock; definition: SagaDefinition }>;

/**
 * Who asked and in reply to what: the request id (or the Idempotency-Key when there is one)
 * becomes the events' causationId; the caller's W3C traceparent travels along.
 */
export type CommandOrigin = Readonly<{
  causationId: string;
  traceparent?: string;
  actor: string;
  /**
   * The caller's own key for this request (its Idempotency-Key, scoped to the caller), when it
   * gave one: what a command derives its new ids from, so that a retry names what the first try
   * created.
   */
  requestKey?: string;
}>;

export function eventMetadata(
  type: FulfillmentEventType,
  sagaId: string,
  origin: CommandOrigin,
  clock: Clock,
): EventMetadata {
  return {
    eventId: uuidv4(),
    correlationId: sagaId,
    causationId: origin.causationId,
    occurredAt: clock.now().toISOString(),
    schemaVersion: currentSchemaVersion(type),
    ...(origin.traceparent ? { traceparent: origin.traceparent } : {}),
  };
}
