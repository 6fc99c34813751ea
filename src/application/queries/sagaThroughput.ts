import type { Clock } from '../ports/clock';
import type { QueryDependencies } from './queryContext';
import type { FinishedSaga } from './sagaReadModel';

export const throughputMinutes = { default: 15, max: 60 } as const;

/** 30 buckets across any window, so a chart has the same resolution whatever it shows. */
const bucketsPerWindow = 30;

export type ThroughputBucket = Readonly<{ at: string; completed: number; cancelled: number; manualReview: number }>;
export type SagaThroughput = Readonly<{ bucketSeconds: number; buckets: ThroughputBucket[] }>;

const counterOf: Readonly<Record<FinishedSaga['state'], keyof Omit<ThroughputBucket, 'at'>>> = {
  COMPLETED: 'completed',
  CANCELLED: 'cancelled',
  MANUAL_REVIEW: 'manualReview',
};

/**
 * How many sagas ended COMPLETED, CANCELLED or in MANUAL_REVIEW in each bucket of the last
 * `minutes`, oldest first, every bucket present (zeros included). Buckets are aligned to
 * multiples of their length since the epoch, so two polls a few seconds apart agree on every
 * bucket but the newest; the first bucket may start before the window and is counted whole.
 */
export async function sagaThroughput(
  { readModel, clock }: Pick<QueryDependencies, 'readModel'> & Readonly<{ clock: Clock }>,
  minutes: number = throughputMinutes.default,
): Promise<SagaThroughput> {
  const bucketMs = Math.ceil((minutes * 60_000) / bucketsPerWindow / 1000) * 1000;
  const now = clock.now().getTime();
  const newest = Math.floor(now / bucketMs) * bucketMs;
  const oldest = newest - (bucketsPerWindow - 1) * bucketMs;
  const buckets = Array.from({ length: bucketsPerWindow }, (_, index) => ({
    at: new Date(oldest + index * bucketMs).toISOString(),
    completed: 0,
    cancelled: 0,
    manualReview: 0,
  }));
  for (const finished of await readModel.finishedSince(new Date(oldest))) {
    const index = Math.floor((Date.parse(finished.at) - oldest) / bucketMs);
    const bucket = buckets[index];
    if (bucket) bucket[counterOf[finished.state]] += 1;
  }
  return { bucketSeconds: bucketMs / 1000, buckets };
}
