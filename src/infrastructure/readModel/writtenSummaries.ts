import type { SagaSummaryWriter } from '../../application/projections/orderFulfillmentSagasProjection';
import type { SagaSummary } from '../../application/projections/sagaSummary';

/**
 * The rows a rebuild has written so far, kept in memory so that each batch need not read back the
 * rows the previous one wrote. Sound because nothing else writes the rebuild table before the
 * swap, and because a failed batch aborts the whole rebuild (and this memory with it).
 *
 * `complete` says the table held nothing but what passed through here (a rebuild started from an
 * empty table): a saga not remembered then has no row, and the table is not asked. Past
 * `capacity` sagas the oldest are forgotten and the table is asked again for whatever is missing.
 */
export type WrittenSummaries = Readonly<{ wrap(writer: SagaSummaryWriter): SagaSummaryWriter }>;

export function writtenSummaries(options: Readonly<{ complete: boolean; capacity?: number }>): WrittenSummaries {
  const capacity = options.capacity ?? 100_000;
  const remembered = new Map<string, SagaSummary>();
  let complete = options.complete;

  const remember = (summary: SagaSummary) => {
    remembered.delete(summary.sagaId); // re-inserted: the Map's order is then least recently written first
    remembered.set(summary.sagaId, summary);
    if (remembered.size <= capacity) return;
    remembered.delete(remembered.keys().next().value!);
    complete = false;
  };

  return {
    wrap: (writer) => ({
      async load(sagaIds) {
        const found = new Map<string, SagaSummary>();
        const missing: string[] = [];
        for (const sagaId of sagaIds) {
          const summary = remembered.get(sagaId);
          if (summary) found.set(sagaId, summary);
          else missing.push(sagaId);
        }
        if (complete || missing.length === 0) return found;
        for (const [sagaId, summary] of await writer.load(missing)) found.set(sagaId, summary);
        return found;
      },
      async save(summaries) {
        await writer.save(summaries);
        for (const summary of summaries) remember(summary);
      },
      async truncate() {
        await writer.truncate();
        remembered.clear();
        complete = true;
      },
    }),
  };
}
