import type { SagaSummaryWriter } from '../../application/projections/orderFulfillmentSagasProjection';
import type { SagaSummary } from '../../application/projections/sagaSummary';
import { writtenSummaries } from './writtenSummaries';

const summaryOf = (sagaId: string) => ({ sagaId, lastPosition: 1 }) as SagaSummary;

/** A table in memory that records which sagas it was asked for. */
function tableWriter(stored: SagaSummary[] = []) {
  const rows = new Map(stored.map((summary) => [summary.sagaId, summary]));
  const asked: string[][] = [];
  const writer: SagaSummaryWriter = {
    load: async (sagaIds) => {
      asked.push([...sagaIds]);
      return new Map(sagaIds.flatMap((id) => (rows.has(id) ? [[id, rows.get(id)!] as const] : [])));
    },
    save: async (summaries) => void summaries.forEach((summary) => rows.set(summary.sagaId, summary)),
    truncate: async () => rows.clear(),
  };
  return { writer, asked, rows };
}

describe('writtenSummaries', () => {
  it('answers from what it wrote, and asks the table nothing when the table started empty', async () => {
    const table = tableWriter();
    const writer = writtenSummaries({ complete: true }).wrap(table.writer);
    await writer.save([summaryOf('a'), summaryOf('b')]);
    const found = await writer.load(['a', 'b', 'c']);
    expect([...found.keys()]).toEqual(['a', 'b']);
    expect(table.asked).toEqual([]);
    expect(table.rows.size).toBe(2);
  });

  it('asks the table for what it does not hold when the table had rows before (a resumed rebuild)', async () => {
    const table = tableWriter([summaryOf('old')]);
    const writer = writtenSummaries({ complete: false }).wrap(table.writer);
    await writer.save([summaryOf('a')]);
    const found = await writer.load(['a', 'old', 'c']);
    expect([...found.keys()].sort()).toEqual(['a', 'old']);
    expect(table.asked).toEqual([['old', 'c']]);
  });

  it('past its capacity forgets the oldest and reads them back from the table', async () => {
    const table = tableWriter();
    const writer = writtenSummaries({ complete: true, capacity: 2 }).wrap(table.writer);
    await writer.save([summaryOf('a'), summaryOf('b'), summaryOf('c')]);
    const found = await writer.load(['a', 'b', 'c']);
    expect([...found.keys()].sort()).toEqual(['a', 'b', 'c']);
    expect(table.asked).toEqual([['a']]);
  });
});
