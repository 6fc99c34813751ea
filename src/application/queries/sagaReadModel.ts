import type { SagaState } from '../../domain/saga/sagaVocabulary';
import type { SagaSummary } from '../projections/sagaSummary';

/** The read side of `order_fulfillment_sagas`, as the queries need it. */

export const sagaScopes = ['pending', 'failed', 'completed'] as const;
/**
 * pending: still moving (a PENDING_* state or COMPENSATING); failed: needs or needed attention
 * (MANUAL_REVIEW, or CANCELLED because a step failed); completed: COMPLETED.
 */
export type SagaScope = (typeof sagaScopes)[number];

export type SagaListFilter = Readonly<{ state?: SagaState; scope?: SagaScope }>;

export interface SagaReadModel {
  findBySagaId(sagaId: string): Promise<SagaSummary | undefined>;
  /**
   * Rows matching the filter, newest first (by createdPosition), only those created before
   * `beforePosition` when given.
   */
  list(filter: SagaListFilter, page: Readonly<{ limit: number; beforePosition?: number }>): Promise<SagaSummary[]>;
  countByState(): Promise<Partial<Record<SagaState, number>>>;
  /** completedAt − startedAt of every terminal saga, in milliseconds, ascending. */
  terminalDurationsMs(): Promise<number[]>;
}
