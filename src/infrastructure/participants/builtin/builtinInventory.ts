import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Clock } from '../../../application/ports/clock';
import type {
  AlreadyCompensated,
  InventoryParticipant,
  ReserveInventoryOutcome,
  StepRequest,
} from '../../../application/ports/participants';
import type { MedicationLine, ShortLine } from '../../../domain/events/values';
import { serviceSqlOf, type ServiceSql } from '../../database/serviceSql';
import { selectItems, type CatalogItemRow } from './catalogItems';
import { insertLines, releaseLines, selectReleasedLines, takeLine } from './inventoryStatements';
import { StepLedger } from './stepLedger';

/**
 * Reservations against `catalog_items` (SPEC §4), all or nothing across the order's lines.
 *
 * One short transaction per reservation, sent in one go (one round trip on MariaDB, then COMMIT):
 * the ledger row with the success answer, then each line taken by a conditional update
 * (`reserved = reserved + q WHERE on_hand - reserved >= q`, so two reservations can never both take
 * the last units, on any number of connections), then the lines. Lines go in sku order, so
 * concurrent reservations lock rows in the same order and cannot deadlock. If any line was not
 * taken, the whole transaction rolls back; the catalog then says which skus are unknown or short,
 * and the rejection is recorded on its own.
 */
type ReservationDecision = Exclude<ReserveInventoryOutcome, AlreadyCompensated>;

export function createBuiltinInventory({ db, clock }: { db: Knex; clock: Clock }): InventoryParticipant {
  const sql = serviceSqlOf(db);
  const ledger = new StepLedger(
    sql,
    { table: 'inventory_reservations', succeeded: 'reserved', compensated: 'released', columns: ['reservation_id'] },
    clock,
  );

  const reserve = async (request: StepRequest): Promise<ReservationDecision> => {
    const lines = mergedInSkuOrder(request.medications);
    const now = clock.now();
    const success: ReservationDecision = { outcome: 'succeeded', reservationId: randomUUID(), lines };
    const taken = await sql.transaction(
      [
        ledger.record(request, success, [success.reservationId]),
        ...lines.map((line) => takeLine(line, now)),
        insertLines(request.sagaId, lines),
      ],
      (results) => lines.every((_, index) => results[1 + index]!.changes === 1),
    );
    if (taken.committed) return success;
    const missed = lines.filter((_, index) => taken.results[1 + index]!.changes !== 1);
    const rejection = await rejectionFor(sql, missed);
    await sql.run(ledger.record(request, rejection, [null]));
    return rejection;
  };

  return {
    reserve: (request) => ledger.forward(request.sagaId, () => reserve(request)),

    release: async (request) => {
      const answer = await ledger.compensate(
        request,
        releaseLines(sql.dialect, request.sagaId, clock.now()),
        selectReleasedLines(request.sagaId),
      );
      return { lines: (answer.rows as MedicationLine[]).map(({ sku, quantity }) => ({ sku, quantity })) };
    },
  };
}

/** Why the lines the conditional updates missed were missed: unknown skus first, else short stock. */
async function rejectionFor(sql: ServiceSql, missed: readonly MedicationLine[]): Promise<ReservationDecision> {
  const rows = (await sql.run(selectItems(missed.map((line) => line.sku)))).rows as CatalogItemRow[];
  const available = new Map(rows.map((row) => [row.sku, Math.max(0, row.on_hand - row.reserved)]));
  const unknownSkus = missed.filter((line) => !available.has(line.sku)).map((line) => line.sku);
  if (unknownSkus.length > 0) {
    return rejection('UNKNOWN_SKU', `the catalog has no item ${unknownSkus.join(', ')}`, [], unknownSkus);
  }
  const shortLines = missed.map((line) => ({
    sku: line.sku,
    requested: line.quantity,
    available: available.get(line.sku) ?? 0,
  }));
  const summary = shortLines.map((l) => `${l.sku} (requested ${l.requested}, available ${l.available})`).join(', ');
  return rejection('INSUFFICIENT_STOCK', `not enough stock for ${summary}`, shortLines, []);
}

const rejection = (
  code: 'INSUFFICIENT_STOCK' | 'UNKNOWN_SKU',
  reason: string,
  shortLines: ShortLine[],
  unknownSkus: string[],
): ReservationDecision => ({ outcome: 'rejected', code, reason, shortLines, unknownSkus });

/** Orders arrive with distinct skus (the API checks); a repeated sku is reserved as one line. */
function mergedInSkuOrder(medications: readonly MedicationLine[]): MedicationLine[] {
  const quantities = new Map<string, number>();
  for (const { sku, quantity } of medications) quantities.set(sku, (quantities.get(sku) ?? 0) + quantity);
  return [...quantities.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([sku, quantity]) => ({ sku, quantity }));
}
