import type { SagaEvents, SagaStatus } from './apiClient';
import { textTable } from './textTable';

/** How the operator verbs show sagas to a person (with --json they print the API's answers instead). */

export function sagaListText(items: readonly SagaStatus[]): string {
  if (items.length === 0) return 'no sagas match';
  return textTable(
    ['SAGA', 'ORDER', 'STATE', 'STEP', 'UPDATED', 'FAILURE'],
    items.map((saga) => [
      saga.sagaId,
      saga.orderId,
      saga.state,
      saga.currentStep ?? '-',
      saga.updatedAt,
      failureOf(saga),
    ]),
  );
}

export function sagaStatusText(saga: SagaStatus): string {
  const fields: [string, string | null][] = [
    ['saga', saga.sagaId],
    ['order', saga.orderId],
    ['state', saga.state],
    ['current step', saga.currentStep],
    ['compensations', saga.compensationStack.length ? `${saga.compensationStack.join(' → ')} (bottom → top)` : null],
    ['failure', failureOf(saga) || null],
    ['failed compensation', saga.failedCompensation],
    ['cancellation', saga.cancellationRequested ? 'requested' : null],
    ['resolution note', saga.resolutionNote],
    ['started', saga.startedAt],
    ['completed', saga.completedAt],
    ['updated', saga.updatedAt],
  ];
  const shown = fields.filter((field): field is [string, string] => field[1] !== null);
  const width = Math.max(...shown.map(([name]) => name.length));
  return shown.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join('\n');
}

/** Every event of the saga and its order, in global order, with the time since the first. */
export function timelineText(events: SagaEvents['events']): string {
  const first = Date.parse(occurredAtOf(events[0]) ?? '');
  return textTable(
    ['POSITION', 'OCCURRED AT', 'ELAPSED', 'STREAM', 'TYPE', 'DETAIL'],
    events.map((event) => {
      const at = occurredAtOf(event) ?? '';
      const elapsedMs = Date.parse(at) - first;
      return [
        String(event.position),
        at,
        Number.isFinite(elapsedMs) ? `+${(elapsedMs / 1000).toFixed(3)}s` : '',
        event.stream.slice(0, event.stream.indexOf('-')),
        event.type,
        detailOf(event.data),
      ];
    }),
  );
}

/** One line per change that `sagas tail` sees. */
export function changeText(saga: SagaStatus): string {
  const step = saga.currentStep ? ` ${saga.currentStep}` : '';
  const failure = failureOf(saga);
  return `${saga.updatedAt}  ${saga.sagaId}  ${saga.state}${step}${failure ? `  ${failure}` : ''}`;
}

function failureOf(saga: SagaStatus): string {
  if (!saga.failedStep && !saga.failureReason) return '';
  return [saga.failedStep, saga.failureCode, saga.failureReason].filter(Boolean).join(' ');
}

const occurredAtOf = (event: SagaEvents['events'][number] | undefined): string | undefined =>
  (event?.metadata as { occurredAt?: string } | undefined)?.occurredAt;

/** What matters in an event's data for a person reading a timeline. */
function detailOf(data: unknown): string {
  const fields = (data ?? {}) as Record<string, unknown>;
  if (typeof fields.to === 'string') {
    const step = typeof fields.currentStep === 'string' ? `  (${fields.currentStep})` : '';
    return `${typeof fields.from === 'string' ? fields.from : 'start'} → ${fields.to}${step}`;
  }
  return ['compensation', 'code', 'reason', 'note']
    .map((key) => fields[key])
    .filter((value): value is string | number => typeof value === 'string' || typeof value === 'number')
    .join(' ');
}
