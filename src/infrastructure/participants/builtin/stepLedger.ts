import type { Knex } from 'knex';
import type { AlreadyCompensated, CompensationRequest } from '../../../application/ports/participants';
import type { Clock } from '../../../application/ports/clock';
import { isUniqueViolation } from '../../database/uniqueViolation';

/**
 * The one-row-per-saga ledger that makes a participant's forward step and its compensation
 * idempotent (see migrations/service/001_participants.ts for the columns).
 *
 * Forward: if the saga has a row, replay it; otherwise do the work and insert the row in the same
 * transaction, before any other row keyed by the saga. Two deliveries racing for one saga may both
 * do the work, but only one insert wins: the loser's transaction rolls back whole (stock updates
 * included) and it replays the winner's answer. On MariaDB the loser's insert waits on the
 * winner's uncommitted key, so it sees the duplicate only once the winner's row is there to read.
 *
 * Compensation: a row in the success state is flipped to the compensated state by a conditional
 * update, and whoever flips it undoes the side effects in that transaction. No row yet: insert a
 * tombstone, so a forward call that arrives later does nothing. A rejected step has nothing to undo.
 */
export type LedgerRow = Readonly<{ saga_id: string; order_id: string; status: string; outcome: string | null }>;

export type StepLedgerTable = Readonly<{
  table: string;
  /** The status of a succeeded forward step, e.g. `reserved`. */
  succeeded: string;
  /** The status once that success has been undone, e.g. `released`. */
  compensated: string;
}>;

type ForwardOutcome = Readonly<{ outcome: 'succeeded' | 'rejected' }>;

const rejected = 'rejected';
const tombstone = 'tombstone';
/** A compensation loses at most one race per competitor (a forward insert, a concurrent flip). */
const maxCompensationRounds = 5;

class DuplicateStep extends Error {}

export class StepLedger<Row extends LedgerRow = LedgerRow> {
  constructor(
    private readonly db: Knex,
    private readonly ledger: StepLedgerTable,
    private readonly clock: Clock,
  ) {}

  read(sagaId: string, executor: Knex | Knex.Transaction = this.db): Promise<Row | undefined> {
    return executor(this.ledger.table).where({ saga_id: sagaId }).first();
  }

  /**
   * Runs `perform` once per saga. `perform` must call `record(...)` inside its transaction when it
   * has one, before inserting other rows keyed by the saga; its answer is what every redelivery gets.
   */
  async forward<O extends ForwardOutcome>(sagaId: string, perform: () => Promise<O>): Promise<O | AlreadyCompensated> {
    const existing = await this.read(sagaId);
    if (existing) return this.replay<O>(existing);
    try {
      return await perform();
    } catch (error) {
      if (!(error instanceof DuplicateStep)) throw error;
      const winner = await this.read(sagaId);
      if (!winner) {
        throw new Error(`${this.ledger.table} row for saga ${sagaId} vanished after a duplicate insert`, {
          cause: error,
        });
      }
      return this.replay<O>(winner);
    }
  }

  /** Inserts the saga's row with the forward outcome; a row already there aborts the caller's work. */
  async record(
    executor: Knex | Knex.Transaction,
    request: CompensationRequest,
    outcome: ForwardOutcome,
    columns: Record<string, unknown> = {},
  ): Promise<void> {
    const status = outcome.outcome === 'succeeded' ? this.ledger.succeeded : rejected;
    await this.insert(executor, request, status, JSON.stringify(outcome), columns);
  }

  /**
   * Undoes the step once per saga. `undo` runs in the transaction that flips the row; `result`
   * gives the answer for a row (undefined: nothing was there to undo).
   */
  async compensate<R>(
    request: CompensationRequest,
    steps: Readonly<{
      undo?: (trx: Knex.Transaction, row: Row) => Promise<void>;
      result: (row: Row | undefined) => Promise<R> | R;
    }>,
  ): Promise<R> {
    for (let round = 0; round < maxCompensationRounds; round++) {
      const row = await this.read(request.sagaId);
      if (!row) {
        if (await this.insertTombstone(request)) return steps.result(undefined);
        continue;
      }
      if (row.status === this.ledger.compensated) return steps.result(row);
      if (row.status !== this.ledger.succeeded) return steps.result(undefined);
      if (await this.flipToCompensated(row, steps.undo))
        return steps.result({ ...row, status: this.ledger.compensated });
    }
    throw new Error(
      `${this.ledger.table}: compensation for saga ${request.sagaId} kept racing other writers; retry it`,
    );
  }

  private replay<O>(row: Row): O | AlreadyCompensated {
    if (row.status === this.ledger.compensated || row.status === tombstone || row.outcome === null) {
      return { outcome: 'alreadyCompensated' };
    }
    return JSON.parse(row.outcome) as O;
  }

  private async insertTombstone(request: CompensationRequest): Promise<boolean> {
    try {
      await this.insert(this.db, request, tombstone, null, {});
      return true;
    } catch (error) {
      if (error instanceof DuplicateStep) return false;
      throw error;
    }
  }

  private flipToCompensated(row: Row, undo?: (trx: Knex.Transaction, row: Row) => Promise<void>) {
    const flip = (executor: Knex | Knex.Transaction) =>
      executor(this.ledger.table)
        .where({ saga_id: row.saga_id, status: this.ledger.succeeded })
        .update({ status: this.ledger.compensated, updated_at: this.clock.now() });
    if (!undo) return flip(this.db).then((changed) => changed === 1);
    return this.db.transaction(async (trx) => {
      if ((await flip(trx)) !== 1) return false;
      await undo(trx, row);
      return true;
    });
  }

  private async insert(
    executor: Knex | Knex.Transaction,
    request: CompensationRequest,
    status: string,
    outcome: string | null,
    columns: Record<string, unknown>,
  ): Promise<void> {
    const now = this.clock.now();
    try {
      await executor(this.ledger.table).insert({
        ...columns,
        saga_id: request.sagaId,
        order_id: request.orderId,
        status,
        outcome,
        created_at: now,
        updated_at: now,
      });
    } catch (error) {
      throw isUniqueViolation(error)
        ? new DuplicateStep(`saga ${request.sagaId} already has a ${this.ledger.table} row`)
        : error;
    }
  }
}
