import type { Knex } from 'knex';
import type { SagaSummary } from '../../application/projections/sagaSummary';
import type {
  FinishedSaga,
  IdleSaga,
  SagaListFilter,
  SagaReadModel,
  SagaScope,
} from '../../application/queries/sagaReadModel';
import { sagaStates, terminalSagaStates, type SagaState } from '../../domain/saga/sagaVocabulary';
import { isMysql } from './knexProjectionStorage';
import { fromRow, isoTime, liveSagasTable, type SagaSummaryRow } from './sagaSummaryRows';

const pendingStates = sagaStates.filter((state) => state.startsWith('PENDING_') || state === 'COMPENSATING');

const scopeFilters: Record<SagaScope, (query: Knex.QueryBuilder) => void> = {
  pending: (query) => void query.whereIn('state', pendingStates),
  failed: (query) =>
    void query.where((where) =>
      where
        .where('state', 'MANUAL_REVIEW')
        .orWhere((cancelled) => cancelled.where('state', 'CANCELLED').whereNotNull('failed_step')),
    ),
  completed: (query) => void query.where('state', 'COMPLETED'),
};

/**
 * The read side of `order_fulfillment_sagas`. `completeThrough` is the projection's low watermark
 * over its partitions (the composition root knows the partitions); without it, the highest
 * `last_position` in the table, which is right only for a table one follower writes in global
 * order (a rebuild's copy, tests of the read model alone).
 */
export function knexSagaReadModel(
  db: Knex,
  table: string = liveSagasTable,
  options: Readonly<{ completeThrough?: () => Promise<number> }> = {},
): SagaReadModel {
  return {
    async findBySagaId(sagaId) {
      const row = await db<SagaSummaryRow>(table).where({ saga_uuid: sagaId }).first();
      return row ? fromRow(row) : undefined;
    },
    async list(filter: SagaListFilter, page) {
      const query = db<SagaSummaryRow>(table).orderBy('id', 'desc').limit(page.limit);
      if (filter.state) query.where('state', filter.state);
      if (filter.scope) scopeFilters[filter.scope](query);
      if (page.beforePosition !== undefined) query.where('id', '<', page.beforePosition);
      return ((await query) as SagaSummaryRow[]).map(fromRow);
    },
    async countByState() {
      const rows = (await db(table).select('state').count({ n: '*' }).groupBy('state')) as {
        state: string;
        n: number | string;
      }[];
      return Object.fromEntries(rows.map((row) => [row.state, Number(row.n)])) as Partial<Record<SagaState, number>>;
    },
    // Reads the rows of sagas in flight only, through the waiting index (migration 005): a finished
    // saga's current_step is null. SQLite is told to: it keeps no statistics unless ANALYZE runs,
    // and without them it walks the primary key for the ORDER BY, every row (30 ms at 100,000).
    async idleSagas({ idleSince, afterPosition, limit }) {
      const from = isMysql(db) ? table : db.raw('?? INDEXED BY ??', [table, `${table}_waiting_index`]);
      const rows = (await db
        .from<SagaSummaryRow>(from)
        .select('id', 'saga_uuid', 'state', 'current_step', 'updated_at')
        .whereNotNull('current_step')
        .where('updated_at', '<=', idleSince)
        .whereNot('state', 'MANUAL_REVIEW')
        .where('id', '>', afterPosition)
        .orderBy('id')
        .limit(limit)) as Pick<SagaSummaryRow, 'id' | 'saga_uuid' | 'state' | 'current_step' | 'updated_at'>[];
      return rows.map((row): IdleSaga => ({
        sagaId: row.saga_uuid,
        createdPosition: Number(row.id),
        state: row.state as SagaState,
        currentStep: row.current_step as IdleSaga['currentStep'],
        updatedAt: isoTime(row.updated_at),
      }));
    },
    async terminalDurationsMs() {
      const rows = (await db(table)
        .select('started_at', 'completed_at')
        .whereIn('state', terminalSagaStates)
        .whereNotNull('completed_at')) as Pick<SagaSummaryRow, 'started_at' | 'completed_at'>[];
      return rows
        .map((row) => new Date(row.completed_at!).getTime() - new Date(row.started_at).getTime())
        .sort((a, b) => a - b);
    },
    // Through the last_position index (migration 007).
    async changedAfter(after, through, limit) {
      const rows = (await db<SagaSummaryRow>(table)
        .where('last_position', '>', after)
        .where('last_position', '<=', through)
        .orderBy('last_position')
        .limit(limit)) as SagaSummaryRow[];
      return rows.map(fromRow);
    },
    completeThrough:
      options.completeThrough ??
      (async () => {
        const row = (await db(table).max({ position: 'last_position' }).first()) as {
          position: number | string | null;
        };
        return Number(row?.position ?? 0);
      }),
    // Ended sagas through the completed_at index (migration 007); those in review through the
    // state index, a handful at any time.
    async finishedSince(since) {
      const [ended, inReview] = await Promise.all([
        db(table)
          .select('state', 'completed_at')
          .where('completed_at', '>=', since)
          .whereIn('state', terminalSagaStates) as Promise<Pick<SagaSummaryRow, 'state' | 'completed_at'>[]>,
        db(table).select('updated_at').where('state', 'MANUAL_REVIEW').where('updated_at', '>=', since) as Promise<
          Pick<SagaSummaryRow, 'updated_at'>[]
        >,
      ]);
      return [
        ...ended.map((row): FinishedSaga => ({
          state: row.state as FinishedSaga['state'],
          at: isoTime(row.completed_at!),
        })),
        ...inReview.map((row): FinishedSaga => ({ state: 'MANUAL_REVIEW', at: isoTime(row.updated_at) })),
      ];
    },
  };
}

export type { SagaSummary };
