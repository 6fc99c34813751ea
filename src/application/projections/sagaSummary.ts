import type { CompensationName, ForwardStepName, SagaJobName, SagaState } from '../../domain/saga/sagaVocabulary';
import { terminalSagaStates } from '../../domain/saga/sagaVocabulary';
import type { FulfillmentEventType } from '../../domain/events';
import type { RecordedEvent } from '../ports/eventStore';

/**
 * A saga as its status readers see it, folded from the order and saga streams. The one fold used
 * by the `order_fulfillment_sagas` projection, by queries that read the streams before the
 * projection has caught up, and by commands that need the saga's state.
 */
export type SagaSummary = Readonly<{
  sagaId: string;
  orderId: string;
  /** Global position of the OrderCreated: the row's stable id, the same after any rebuild. */
  createdPosition: number;
  state: SagaState;
  currentStep: SagaJobName | null;
  /** Compensation names bottom to top. */
  compensationStack: readonly CompensationName[];
  failedStep: ForwardStepName | null;
  failureCode: string | null;
  failureReason: string | null;
  /** The compensation that failed and sent the saga to MANUAL_REVIEW, until it moves on. */
  failedCompensation: CompensationName | null;
  /** The round of the failed compensation job: an operator retry names it. */
  failedCompensationRound: number | null;
  /** An operator asked to retry or resolve and the saga has not moved yet. */
  operatorActionPending: boolean;
  cancellationRequested: boolean;
  resolutionNote: string | null;
  startedAt: string;
  completedAt: string | null;
  updatedAt: string;
  /** Global position of the last event folded in: replaying an older event changes nothing. */
  lastPosition: number;
}>;

export const sagaSummaryEventTypes = [
  'OrderCreated',
  'OrderCancellationRequested',
  'SagaStarted',
  'SagaStateChanged',
  'SagaCompensationRecorded',
  'SagaFailed',
  'SagaCompleted',
  'SagaCompensationFailed',
  'SagaRetryRequested',
  'SagaResolvedManually',
] as const satisfies readonly FulfillmentEventType[];

const isTerminal = (state: SagaState) => (terminalSagaStates as readonly SagaState[]).includes(state);

/** The saga a freshly placed order starts as, before the reactor has written anything. */
function initialSummary(event: Extract<RecordedEvent, { type: 'OrderCreated' }>): SagaSummary {
  return {
    sagaId: event.data.sagaId,
    orderId: event.data.orderId,
    createdPosition: event.position,
    state: 'PENDING_PRESCRIPTION',
    currentStep: 'CreatePrescription',
    compensationStack: [],
    failedStep: null,
    failureCode: null,
    failureReason: null,
    failedCompensation: null,
    failedCompensationRound: null,
    operatorActionPending: false,
    cancellationRequested: false,
    resolutionNote: null,
    startedAt: event.metadata.occurredAt,
    completedAt: null,
    updatedAt: event.metadata.occurredAt,
    lastPosition: event.position,
  };
}

/**
 * Folds one event into a summary. Returns the summary unchanged for an event it has already
 * applied (position not above `lastPosition`) or does not concern it; undefined while the saga
 * has no OrderCreated yet (saga events cannot arrive first: the order stream is written first).
 */
export function evolveSagaSummary(summary: SagaSummary | undefined, event: RecordedEvent): SagaSummary | undefined {
  if (summary && event.position <= summary.lastPosition) return summary;
  if (event.type === 'OrderCreated') return summary ?? initialSummary(event);
  if (!summary) return undefined;
  // One object literal per event: spreading a spread copy costs several times as much (rebuilds
  // fold every event of the log through here).
  const updatedAt = event.metadata.occurredAt;
  const lastPosition = event.position;
  switch (event.type) {
    case 'OrderCancellationRequested':
      return { ...summary, updatedAt, lastPosition, cancellationRequested: true };
    case 'SagaStarted':
      return { ...summary, updatedAt, lastPosition };
    case 'SagaStateChanged':
      return {
        ...summary,
        updatedAt,
        lastPosition,
        state: event.data.to,
        currentStep: event.data.currentStep,
        compensationStack: [...event.data.compensationStack],
        completedAt: isTerminal(event.data.to) ? (summary.completedAt ?? updatedAt) : null,
        failedCompensation: event.data.to === 'MANUAL_REVIEW' ? summary.failedCompensation : null,
        failedCompensationRound: event.data.to === 'MANUAL_REVIEW' ? summary.failedCompensationRound : null,
        operatorActionPending: false,
      };
    case 'SagaCompensationRecorded':
      return { ...summary, updatedAt, lastPosition, compensationStack: [...event.data.compensationStack] };
    case 'SagaFailed':
      return {
        ...summary,
        updatedAt,
        lastPosition,
        failedStep: event.data.failedStep,
        failureCode: event.data.code,
        failureReason: event.data.reason,
      };
    case 'SagaCompleted':
      return { ...summary, updatedAt, lastPosition, completedAt: summary.completedAt ?? updatedAt };
    case 'SagaCompensationFailed':
      return {
        ...summary,
        updatedAt,
        lastPosition,
        failedCompensation: event.data.compensation,
        failedCompensationRound: event.data.round,
        failureReason: `${event.data.compensation} failed: ${event.data.reason}`,
      };
    case 'SagaRetryRequested':
      return { ...summary, updatedAt, lastPosition, operatorActionPending: true };
    case 'SagaResolvedManually':
      return { ...summary, updatedAt, lastPosition, operatorActionPending: true, resolutionNote: event.data.note };
    default:
      return summary;
  }
}

/** Folds events (in any order of streams, sorted here by position) into the saga's summary. */
export function foldSagaSummary(events: readonly RecordedEvent[]): SagaSummary | undefined {
  return [...events].sort((a, b) => a.position - b.position).reduce(evolveSagaSummary, undefined);
}
