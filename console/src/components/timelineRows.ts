import type { SagaEvent } from '../api/apiTypes';

/**
 * The saga's events as timeline rows, in global order. A report from a participant or a
 * compensation (an event outside the saga's own stream that the saga did not start itself: step
 * outcomes, OrderCancelled) gets a duration: from the saga's last event before it — the decision
 * that sent the job — to the report, so each step's bar is how long that step took, queue included.
 */
export type TimelineRow = Readonly<{
  event: SagaEvent;
  atMs: number;
  /** Set for step and compensation reports: when the step was sent, and how long it took. */
  step?: Readonly<{ startMs: number; durationMs: number }>;
}>;

const customerEvents = new Set(['OrderCreated', 'OrderCancellationRequested']);

export function timelineRows(events: readonly SagaEvent[]): TimelineRow[] {
  const timeOf = (event: SagaEvent) => Date.parse(event.metadata.occurredAt ?? '') || 0;
  let lastSagaDecision: number | undefined;
  return events.map((event) => {
    const atMs = timeOf(event);
    const fromSaga = event.stream.startsWith('orderFulfillmentSaga-');
    if (fromSaga) {
      lastSagaDecision = atMs;
      return { event, atMs };
    }
    if (customerEvents.has(event.type) || lastSagaDecision === undefined) return { event, atMs };
    return { event, atMs, step: { startMs: lastSagaDecision, durationMs: Math.max(0, atMs - lastSagaDecision) } };
  });
}

/** A sentence's worth of what an event says, from its data. */
export function summaryOf(event: SagaEvent): string {
  const data = event.data;
  const text = (key: string) => (typeof data[key] === 'string' ? (data[key] as string) : undefined);
  switch (event.type) {
    case 'SagaStateChanged':
      return `${text('from') ?? 'start'} → ${text('to')}`;
    case 'SagaCompensationRecorded':
      return `pushed ${text('compensation')}`;
    case 'SagaFailed':
      return `${text('failedStep')} failed: ${text('code')} — ${text('reason')}`;
    case 'SagaCompensationFailed':
      return `${text('compensation')} failed for good (round ${String(data.round)}): ${text('reason')}`;
    case 'SagaRetryRequested':
      return `retry of ${text('compensation')} asked by ${text('requestedBy')}`;
    case 'SagaResolvedManually':
      return `resolved by ${text('resolvedBy')}: “${text('note')}”`;
    default: {
      const code = text('code');
      const reason = text('reason');
      if (code || reason) return [code, reason].filter(Boolean).join(': ');
      return '';
    }
  }
}
