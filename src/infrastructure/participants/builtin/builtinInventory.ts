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
import { isNotNullViolation } from '../../database/notNullViolation';
import { serviceSqlOf, type ServiceSql } from '../../database/serviceSql';
import { selectItems, type CatalogItemRow } from './catalogItems';
import { releaseLines, selectReleasedLines, takeLine } from './inventoryStatements';
import { StepLedger } from './stepLedger';

/**
 * Reservations against `catalog_items` (SPEC §4), all or nothing across the order's lines.
 *
 * One short transaction per reservation, sent in one go (one round trip on MariaDB): the ledger
 * row with the success answer, then per line a conditional update that takes the quantity only if
 * it is available and the line's record, guarded so that a line not taken fails the transaction
 * (inventoryStatements.ts). Lines go in sku order, so concurrent reservations lock rows in the same
 * order and cannot deadlock. If a line was not taken, everything rolls back; the catalog then says
 * which skus are unknown or short, and the rejection is recorded on its own.
 */
type ReservationDecision = Exclude<ReserveInventoryOutcome, AlreadyCompensated>;

/** Attempts per reservation: one more each time stock missing at the attempt was back for the read. */
const maxAttempts = 5;

export function createBuiltinInventory({ db, clock }: { db: Knex; clock: Clock }): InventoryParticipant {
  const sql = serviceSqlOf(db);
  const ledger = new StepLedger(
    sql,
    { table: 'inventory_reservations', succeeded: 'reserved', compensated: 'released', columns: ['reservation_id'] },
    clock,
  );

  const reserve = async (request: StepRequest): Promise<ReservationDecision> => {
    const lines = mergedInSkuOrder(request.medications);
    let miss: unknown;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const success: ReservationDecision = { outcome: 'succeeded', reservationId: randomUUID(), lines };
      const now = clock.now();
      try {
        await sql.transaction([
          ledger.record(request, success, [success.reservationId]),
          ...lines.flatMap((line) => takeLine(sql.dialect, request.sagaId, line, now)),
        ]);
        return success;
      } catch (error) {
        // Anything but a line not taken (a redelivery's duplicate ledger row, say) is the caller's.
        if (!isNotNullViolation(error)) throw error;
        miss = error;
      }
      const rejection = await rejectionFor(sql, lines);
      if (rejection) {
        await sql.run(ledger.record(request, rejection, [null]));
        return rejection;
      }
    }
    throw new Error(
      `reservation for saga ${request.sagaId}: a line was not taken ${maxAttempts} times, yet the catalog covered ` +
        'every line each time it was read afterwards; retry it',
      { cause: miss },
    );
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

/** Why the lines cannot be reserved, as the catalog stands now: unknown skus first, else short ones. */
async function rejectionFor(
  sql: ServiceSql,
  lines: readonly MedicationLine[],
): Promise<ReservationDecision | undefined> {
  const rows = (await sql.run(selectItems(lines.map((line) => line.sku)))).rows as CatalogItemRow[];
  const available = new Map(rows.map((row) => [row.sku, Math.max(0, row.on_hand - row.reserved)]));
  const unknownSkus = lines.filter((line) => !available.has(line.sku)).map((line) => line.sku);
  if (unknownSkus.length > 0) {
    return rejection('UNKNOWN_SKU', `the catalog has no item ${unknownSkus.join(', ')}`, [], unknownSkus);
  }
  const shortLines = lines
    .filter((line) => available.get(line.sku)! < line.quantity)
    .map((line) => ({ sku: line.sku, requested: line.quantity, available: available.get(line.sku)! }));
  if (shortLines.length === 0) return undefined;
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
