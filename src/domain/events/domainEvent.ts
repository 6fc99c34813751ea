/**
 * The domain's own small event vocabulary. An event is data: a past-tense `type` and its `data`.
 * Everything about where and when it was stored (ids, causation, position) is metadata, kept apart
 * so that deciders stay pure and deterministic.
 */
export type DomainEvent<Type extends string = string, Data extends object = object> = Readonly<{
  type: Type;
  data: Readonly<Data>;
}>;

export type EventMetadata = Readonly<{
  /** UUID; appending an event whose id is already stored is a no-op. */
  eventId: string;
  /** The saga id: every event of one order's fulfilment shares it. */
  correlationId: string;
  /** The event or job that caused this one. */
  causationId: string;
  /** ISO-8601 instant, passed in from outside: the domain never reads a clock. */
  occurredAt: string;
  schemaVersion: number;
  /** W3C trace context of the request that started the work, when there was one. */
  traceparent?: string;
}>;

export type EventWithMetadata<E extends DomainEvent = DomainEvent> = E & Readonly<{ metadata: EventMetadata }>;
