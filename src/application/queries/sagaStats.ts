import { sagaStates, type SagaState } from '../../domain/saga/sagaVocabulary';
import type { QueryDependencies } from './queryContext';

export type SagaStats = Readonly<{
  counts: Readonly<Record<SagaState, number>>;
  /** Over terminal sagas (startedAt to completedAt); null while no saga has ended. */
  durationsMs: Readonly<{ p50: number | null; p95: number | null; p99: number | null }>;
}>;

export async function sagaStats({ readModel }: Pick<QueryDependencies, 'readModel'>): Promise<SagaStats> {
  const [stored, durations] = await Promise.all([readModel.countByState(), readModel.terminalDurationsMs()]);
  const counts = Object.fromEntries(sagaStates.map((state) => [state, stored[state] ?? 0])) as Record<
    SagaState,
    number
  >;
  return {
    counts,
    durationsMs: { p50: percentile(durations, 50), p95: percentile(durations, 95), p99: percentile(durations, 99) },
  };
}

/** Nearest-rank percentile of an ascending list. */
export function percentile(ascending: readonly number[], p: number): number | null {
  if (ascending.length === 0) return null;
  const rank = Math.ceil((p / 100) * ascending.length);
  return ascending[Math.min(ascending.length, Math.max(1, rank)) - 1]!;
}
