import type { SagaJobName, SagaState } from '../../domain/saga/sagaVocabulary';
import type { SagaSummary } from '../projections/sagaSummary';

/** The read side of `order_fulfillment_sagas`, as the queries need it. */

export const sagaScopes = ['pending', 'failed', 'completed'] as const;
/**
 * pending: still moving (a PENDING_* state or COMPENSATING); failed: needs or needed attention
 * (MANUAL_REVIEW, or CANCELLED because a step failed); completed: COMPLETED.
 */
export type SagaScope = (typeof sagaScopes)[number];

export type SagaListFilter = Readonly<{ state?: SagaState; scope?: SagaScope }>;

/** A saga whose row says it waits for a job (or an operator) and has not changed for a while. */
export type IdleSaga = Readonly<{
  sagaId: string;
  createdPosition: number;
  state: SagaState;
  currentStep: SagaJobName;
  updatedAt: string;
}>;

export type IdleSagaQuery = Readonly<{
  /** Rows last changed at or before this instant. */
  idleSince: Date;
  /** Rows created after this position (a page's last `createdPosition`; 0 for the first page). */
  afterPosition: number;
  limit: number;
}>;

export interface SagaReadModel {
  findBySagaId(sagaId: string): Promise<SagaSummary | undefined>;
  /**
   * Rows matching the filter, newest first (by createdPosition), only those created before
   * `beforePosition` when given.
   */
  list(filter: SagaListFilter, page: Readonly<{ limit: number; beforePosition?: number }>): Promise<SagaSummary[]>;
  countByState(): Promise<Partial<Record<SagaState, number>>>;
  /**
   * Sagas that wait for a job and have not moved since `idleSince`: a current step set, outside
   * MANUAL_REVIEW (which waits for an operator), by createdPosition. What the reconciler checks.
   */
  idleSagas(query: IdleSagaQuery): Promise<IdleSaga[]>;
  /** completedAt − startedAt of every terminal saga, in milliseconds, ascending. */
  terminalDurationsMs(): Promise<number[]>;
  /**
   * Rows whose last folded event lies after `after` and at or before `through`, by that position
   * ascending: the sagas that changed in between, oldest change first.
   */
  changedAfter(after: number, through: number, limit: number): Promise<SagaSummary[]>;
  /**
   * The position through which the read model is complete: every row change from an event at or
   * before it is committed. Rows above it may still be joined by rows below them, written later by
   * a projection copy that follows other saga partitions and is further behind; a reader that
   * hands out changes by position stops here so as never to skip one.
   */
  completeThrough(): Promise<number>;
  /**
   * Sagas that ended at or after `since` and the state they ended in: COMPLETED or CANCELLED at
   * their `completedAt`, MANUAL_REVIEW (no `completedAt`: it waits) at its last change.
   */
  finishedSince(since: Date): Promise<FinishedSaga[]>;
}

export type FinishedSaga = Readonly<{ state: 'COMPLETED' | 'CANCELLED' | 'MANUAL_REVIEW'; at: string }>;
