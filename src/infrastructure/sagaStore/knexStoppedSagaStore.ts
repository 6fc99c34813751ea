import type { Knex } from 'knex';
import type { StoppedSaga, StoppedSagaStore } from '../../application/ports/stoppedSagas';

/** Stopped sagas in the service database (migration service/004_stopped_sagas): single statements only. */
const table = 'stopped_sagas';
type Row = { saga_id: string; reason: string; stopped_at: Date | string };

export function knexStoppedSagaStore(db: Knex): StoppedSagaStore {
  const fromRow = (row: Row): StoppedSaga => ({
    sagaId: row.saga_id,
    reason: row.reason,
    stoppedAt: new Date(row.stopped_at).toISOString(),
  });
  return {
    async stop({ sagaId, reason, stoppedAt }) {
      await db(table)
        .insert({ saga_id: sagaId, reason, stopped_at: new Date(stoppedAt) })
        .onConflict('saga_id')
        .merge(['reason', 'stopped_at']);
    },
    async list(limit = 100) {
      const rows: Row[] = await db(table).orderBy('stopped_at').limit(limit).select('saga_id', 'reason', 'stopped_at');
      return rows.map(fromRow);
    },
    async count() {
      const [{ n }] = (await db(table).count({ n: '*' })) as [{ n: number | string }];
      return Number(n);
    },
    async resume(sagaId) {
      await db(table).where({ saga_id: sagaId }).delete();
    },
  };
}
