import type { AlreadyCompensated, CompensationRequest } from '../../../application/ports/participants';
import type { Clock } from '../../../application/ports/clock';
import type { ServiceSql, SqlValue, Statement, StatementResult } from '../../database/serviceSql';
import { isUniqueViolation } from '../../database/uniqueViolation';

/**
 * The one-row-per-saga ledger that makes a participant's forward step and its compensation
 * idempotent (see migrations/service/001_participants.ts for the columns).
 *
 * Forward: no read first. The step writes the saga's row with its answer — alone, or as the first
 * statement of its transaction, before any other row keyed by the saga — and the ledger's unique
 * key decides: a redelivery, or the loser of two deliveries racing, hits the key, its transaction
 * rolls back whole (stock updates included), and it replays the answer stored in the row. On
 * MariaDB the loser's insert waits on the winner's uncommitted key, so it sees the duplicate only
 * once the winner's row is there to read (and goes ahead if the winner rolls back).
 *
 * Compensation: one transaction that inserts a tombstone if the saga has no row yet (so a forward
 * call arriving later does nothing), flips a row in the success state to the compensated state,
 * undoes the side effects, and reads the answer. A rejected step has nothing to undo.
 *
 * Why a forward call and its compensation cannot interleave (stock left held by a cancelled order,
 * or given back twice, or given back without having been taken): the FIRST statement of each
 * writes the saga's ledger key — the forward's insert, the compensation's tombstone insert (on
 * MariaDB, ON DUPLICATE KEY UPDATE locks the row instead when it is there). On MariaDB that
 * key's lock is held to commit and whichever comes second waits on it: a compensation then flips
 * and undoes what a forward that went first committed (UPDATEs read the latest rows, not a
 * snapshot), and a forward that comes second hits the key and rolls back whole. SQLite runs the
 * transactions one after the other. So no check is ever made on a row another transaction may
 * still write; keep those statements first. inventoryReleaseRace.int.spec.ts races them by the
 * thousand on both backends.
 *
 * InnoDB may still pick one of them as a deadlock victim (rolled back whole, retried by its job):
 * two deliveries for one saga queued behind a forward attempt that rolls back each inherit a gap
 * lock and then both insert into that gap; or a compensation's next-key lock on the lines meets a
 * neighbouring saga's reservation. In that test about 1 saga in 60 meets one, nearly always with
 * two deliveries of the same call for one saga in flight at once.
 */
export type StepLedgerTable = Readonly<{
  table: string;
  /** The status of a succeeded forward step, e.g. `reserved`. */
  succeeded: string;
  /** The status once that success has been undone, e.g. `released`. */
  compensated: string;
  /** The participant's own columns, whose values `record` takes in this order. */
  columns: readonly string[];
}>;

type ForwardOutcome = Readonly<{ outcome: 'succeeded' | 'rejected' }>;
type LedgerRow = Readonly<{ status: string; outcome: string | null }>;

const rejected = 'rejected';
const tombstone = 'tombstone';

export class StepLedger {
  private readonly insertSql: string;
  private readonly tombstoneSql: string;
  private readonly flipSql: string;
  private readonly readSql: string;

  constructor(
    private readonly sql: ServiceSql,
    private readonly ledger: StepLedgerTable,
    private readonly clock: Clock,
  ) {
    const { table, columns } = ledger;
    const ledgerColumns = ['saga_id', 'order_id', 'status', 'outcome', 'created_at', 'updated_at'];
    const all = [...ledgerColumns, ...columns];
    this.insertSql = `INSERT INTO ${table} (${all.join(', ')}) VALUES (${all.map(() => '?').join(', ')})`;
    this.tombstoneSql =
      `INSERT INTO ${table} (${ledgerColumns.join(', ')}) VALUES (?, ?, '${tombstone}', NULL, ?, ?) ` +
      (sql.dialect === 'sqlite' ? 'ON CONFLICT (saga_id) DO NOTHING' : 'ON DUPLICATE KEY UPDATE saga_id = saga_id');
    this.flipSql = `UPDATE ${table} SET status = '${ledger.compensated}', updated_at = ? WHERE saga_id = ? AND status = '${ledger.succeeded}'`;
    this.readSql = `SELECT status, outcome FROM ${table} WHERE saga_id = ?`;
  }

  /** The statement that stores the forward outcome, the answer every redelivery gets. */
  record(request: CompensationRequest, outcome: ForwardOutcome, columns: readonly SqlValue[]): Statement {
    const status = outcome.outcome === 'succeeded' ? this.ledger.succeeded : rejected;
    const now = this.clock.now();
    return {
      sql: this.insertSql,
      params: [request.sagaId, request.orderId, status, JSON.stringify(outcome), now, now, ...columns],
    };
  }

  /**
   * Runs `perform` once per saga. `perform` must write the `record(...)` statement, on its own or
   * first in its transaction; if that row is already there, the saga's stored answer is replayed.
   */
  async forward<O extends ForwardOutcome>(sagaId: string, perform: () => Promise<O>): Promise<O | AlreadyCompensated> {
    try {
      return await perform();
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const [row] = (await this.sql.run({ sql: this.readSql, params: [sagaId] })).rows as LedgerRow[];
      if (!row) {
        throw new Error(`${this.ledger.table} row for saga ${sagaId} vanished after a duplicate insert`, {
          cause: error,
        });
      }
      return replay<O>(row, this.ledger);
    }
  }

  /**
   * Undoes the step once per saga, in one transaction: tombstone if there is no row, flip of a
   * succeeded row, then `undo` — statements that must change nothing unless this transaction
   * flipped the row — then `answer`, whose result is returned (read it from the compensated row:
   * it finds nothing for a tombstone or a rejected step).
   */
  async compensate(
    request: CompensationRequest,
    undo: readonly Statement[],
    answer: Statement,
  ): Promise<StatementResult> {
    const now = this.clock.now();
    const results = await this.sql.transaction([
      { sql: this.tombstoneSql, params: [request.sagaId, request.orderId, now, now] },
      { sql: this.flipSql, params: [now, request.sagaId] },
      ...undo,
      answer,
    ]);
    return results[results.length - 1]!;
  }

  /** An `answer` for `compensate`: a column of the saga's row, once compensated. */
  compensatedColumn(sagaId: string, column: string): Statement {
    const { table, compensated } = this.ledger;
    return { sql: `SELECT ${column} FROM ${table} WHERE saga_id = ? AND status = '${compensated}'`, params: [sagaId] };
  }
}

function replay<O>(row: LedgerRow, ledger: StepLedgerTable): O | AlreadyCompensated {
  if (row.status === ledger.compensated || row.status === tombstone || row.outcome === null) {
    return { outcome: 'alreadyCompensated' };
  }
  return JSON.parse(row.outcome) as O;
}
