/**
 * What MariaDB did during a run, per saga, from its global status counters: statements by kind,
 * rows read through an index range (Handler_read_next: how much of the log the followers scan) and
 * row-lock waits. They are server-wide (performance_schema is off here), so another user of the
 * server adds to them; the scale-out bench prints them beside its CPU figures to say where
 * mariadbd's time goes as copies are added. Also the connections open on the service's own
 * database: every copy brings its pools, and the server's max_connections is shared.
 */
import { createKnex } from '../../src/infrastructure/database/knexClient';

const counters = {
  statements: 'Questions',
  select: 'Com_select',
  insert: 'Com_insert',
  update: 'Com_update',
  'rows scanned': 'Handler_read_next',
  'lock waits': 'Innodb_row_lock_waits',
  'lock wait ms': 'Innodb_row_lock_time',
} as const;

export type ServerCounters = Readonly<Record<keyof typeof counters, number>>;

export function openServerCounters(databaseUrl: string) {
  const db = createKnex(databaseUrl, { poolMax: 1 });
  return {
    async read(): Promise<ServerCounters> {
      const [rows] = (await db.raw(
        `SHOW GLOBAL STATUS WHERE Variable_name IN (${Object.values(counters)
          .map(() => '?')
          .join(', ')})`,
        Object.values(counters),
      )) as [{ Variable_name: string; Value: string }[]];
      const values = new Map(rows.map((row) => [row.Variable_name, Number(row.Value)]));
      return Object.fromEntries(
        Object.entries(counters).map(([label, name]) => [label, values.get(name) ?? NaN]),
      ) as ServerCounters;
    },
    /** Connections open on this database (this reader's own included), and the server's limit. */
    async connections(): Promise<string> {
      const [rows] = (await db.raw(
        'SELECT COUNT(*) AS open, @@max_connections AS max FROM information_schema.PROCESSLIST WHERE DB = DATABASE()',
      )) as [{ open: number; max: number }[]];
      return `${rows[0]!.open} connections open on the service's database (server max_connections ${rows[0]!.max})`;
    },
    close: () => db.destroy(),
  };
}

/** `statements 41.0, select 20.1, …` per saga between two readings. */
export function perSaga(before: ServerCounters, after: ServerCounters, sagas: number): string {
  return (Object.keys(counters) as (keyof typeof counters)[])
    .map((label) => `${label} ${((after[label] - before[label]) / sagas).toFixed(2)}`)
    .join(', ');
}
