import type Database from 'better-sqlite3';
import type { Statement, StatementResult } from './serviceSql';

/**
 * Group commit for the SQLite statement layer. A commit costs far more than the few statements it
 * makes durable (it writes the WAL), so the writes asked for in one turn of the event loop (sagas
 * in flight each running a step at once) share ONE synchronous transaction, each in a savepoint
 * of its own, in the order asked: one write's failure rolls back that write alone and answers only its caller — as if they had committed one after the other.
 * Callers are answered after the commit. (The event store does the same: sqliteEventStore.ts.)
 */
type PendingWrite = Readonly<{
  statements: readonly Statement[];
  resolve(results: readonly StatementResult[]): void;
  reject(error: unknown): void;
}>;

type Outcome = Readonly<{ ok: true; results: readonly StatementResult[] }> | Readonly<{ ok: false; error: unknown }>;

export type GroupCommit = Readonly<{
  write(statements: readonly Statement[]): Promise<readonly StatementResult[]>;
  /** Commits what is still waiting (before the connection closes). */
  flush(): void;
}>;

export function groupCommit(db: Database.Database, execute: (statement: Statement) => StatementResult): GroupCommit {
  let pending: PendingWrite[] = [];

  // Called inside the group's transaction, better-sqlite3 runs this one in a savepoint.
  const writeOne = db.transaction((statements: readonly Statement[]) => statements.map(execute));

  const attempt = ({ statements }: PendingWrite): Outcome => {
    try {
      return { ok: true, results: writeOne(statements) };
    } catch (error) {
      // An error that ended the whole transaction (SQLite rolls back on some I/O errors) fails the group.
      if (!db.inTransaction) throw error;
      return { ok: false, error };
    }
  };
  const writeGroup = db.transaction((group: readonly PendingWrite[]) => group.map(attempt));

  const flush = () => {
    const group = pending;
    pending = [];
    if (group.length === 0) return;
    let outcomes: Outcome[];
    try {
      outcomes = writeGroup.immediate(group);
    } catch (error) {
      // Nothing was committed (the write lock, the commit or the transaction itself failed).
      for (const write of group) write.reject(error);
      return;
    }
    outcomes.forEach((outcome, index) => {
      if (outcome.ok) group[index]!.resolve(outcome.results);
      else group[index]!.reject(outcome.error);
    });
  };

  return {
    write: (statements) =>
      new Promise((resolve, reject) => {
        if (pending.length === 0) setImmediate(flush);
        pending.push({ statements, resolve, reject });
      }),
    flush,
  };
}
