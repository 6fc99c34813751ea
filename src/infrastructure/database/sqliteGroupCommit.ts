import type Database from 'better-sqlite3';
import type { Statement, StatementResult, TransactionResult } from './serviceSql';

/**
 * Group commit for the SQLite statement layer. A commit costs far more than the few statements it
 * makes durable (it writes the WAL), so the writes asked for in one turn of the event loop (sagas
 * in flight each running a step at once) share ONE synchronous transaction, each in a savepoint
 * of its own, in the order asked: one write's failure, or its `keep` refusing, rolls back that
 * write alone and answers only its caller — as if they had committed one after the other.
 * Callers are answered after the commit. (The event store does the same: sqliteEventStore.ts.)
 */
type Keep = (results: readonly StatementResult[]) => boolean;

type PendingWrite = Readonly<{
  statements: readonly Statement[];
  keep: Keep | undefined;
  resolve(result: TransactionResult): void;
  reject(error: unknown): void;
}>;

type Outcome = Readonly<{ ok: true; result: TransactionResult }> | Readonly<{ ok: false; error: unknown }>;

export type GroupCommit = Readonly<{
  write(statements: readonly Statement[], keep?: Keep): Promise<TransactionResult>;
  /** Commits what is still waiting (before the connection closes). */
  flush(): void;
}>;

export function groupCommit(db: Database.Database, execute: (statement: Statement) => StatementResult): GroupCommit {
  let pending: PendingWrite[] = [];

  // Called inside the group's transaction, better-sqlite3 runs this one in a savepoint.
  const writeOne = db.transaction((statements: readonly Statement[], keep: Keep | undefined) => {
    const results = statements.map(execute);
    if (keep && !keep(results)) throw new RolledBack(results);
    return results;
  });

  const attempt = ({ statements, keep }: PendingWrite): Outcome => {
    try {
      return { ok: true, result: { committed: true, results: writeOne(statements, keep) } };
    } catch (error) {
      if (error instanceof RolledBack) return { ok: true, result: { committed: false, results: error.results } };
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
      if (outcome.ok) group[index]!.resolve(outcome.result);
      else group[index]!.reject(outcome.error);
    });
  };

  return {
    write: (statements, keep) =>
      new Promise((resolve, reject) => {
        if (pending.length === 0) setImmediate(flush);
        pending.push({ statements, keep, resolve, reject });
      }),
    flush,
  };
}

/** Thrown out of a transaction function to roll it back (better-sqlite3 rolls back on a throw). */
class RolledBack {
  constructor(readonly results: readonly StatementResult[]) {}
}
