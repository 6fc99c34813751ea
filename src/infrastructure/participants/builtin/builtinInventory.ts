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
import { catalogItemsTable } from './catalogItems';
import { StepLedger } from './stepLedger';

/**
 * Reservations against `catalog_items` (SPEC §4), all or nothing across the order's lines.
 *
 * One short transaction per reservation: each line is taken by a conditional update
 * (`reserved = reserved + q WHERE on_hand - reserved >= q`), so two reservations can never both
 * take the last units, on any number of connections. Lines go in sku order, so concurrent
 * reservations lock rows in the same order and cannot deadlock. If any line is short, the lines
 * already taken are given back in the same transaction and every short line is reported.
 */
const linesTable = 'inventory_reservation_lines';

type ReservationDecision = Exclude<ReserveInventoryOutcome, AlreadyCompensated>;

export function createBuiltinInventory({ db, clock }: { db: Knex; clock: Clock }): InventoryParticipant {
  const ledger = new StepLedger(
    db,
    { table: 'inventory_reservations', succeeded: 'reserved', compensated: 'released' },
    clock,
  );

  const reserveLines = (request: StepRequest) =>
    db.transaction(async (trx): Promise<ReservationDecision> => {
      const lines = mergedInSkuOrder(request.medications);
      const outcome = await takeStock(trx, lines, clock.now());
      if (outcome.outcome === 'succeeded') {
        await ledger.record(trx, request, outcome, { reservation_id: outcome.reservationId });
        await trx(linesTable).insert(lines.map((line) => ({ saga_id: request.sagaId, ...line, status: 'reserved' })));
      } else {
        await ledger.record(trx, request, outcome);
      }
      return outcome;
    });

  return {
    reserve: (request) => ledger.forward(request.sagaId, () => reserveLines(request)),

    release: (request) =>
      ledger.compensate(request, {
        undo: async (trx, row) => {
          const now = clock.now();
          for (const line of await reservedLines(trx, row.saga_id, 'reserved')) {
            await trx(catalogItemsTable)
              .where({ sku: line.sku })
              .update({ reserved: trx.raw('reserved - ?', [line.quantity]), updated_at: now });
          }
          await trx(linesTable).where({ saga_id: row.saga_id }).update({ status: 'released' });
        },
        result: async (row) => ({ lines: row ? await reservedLines(db, row.saga_id, 'released') : [] }),
      }),
  };
}

async function takeStock(
  trx: Knex.Transaction,
  lines: readonly MedicationLine[],
  now: Date,
): Promise<ReservationDecision> {
  const skus = lines.map((line) => line.sku);
  const known = new Set((await trx(catalogItemsTable).whereIn('sku', skus).pluck('sku')) as string[]);
  const unknownSkus = skus.filter((sku) => !known.has(sku));
  if (unknownSkus.length > 0) {
    return rejection('UNKNOWN_SKU', `the catalog has no item ${unknownSkus.join(', ')}`, [], unknownSkus);
  }

  const taken: MedicationLine[] = [];
  const short: MedicationLine[] = [];
  for (const line of lines) {
    const changed = await trx(catalogItemsTable)
      .where({ sku: line.sku })
      .andWhereRaw('on_hand - reserved >= ?', [line.quantity])
      .update({ reserved: trx.raw('reserved + ?', [line.quantity]), updated_at: now });
    (changed === 1 ? taken : short).push(line);
  }
  if (short.length === 0) return { outcome: 'succeeded', reservationId: randomUUID(), lines };

  for (const line of taken) {
    await trx(catalogItemsTable)
      .where({ sku: line.sku })
      .update({ reserved: trx.raw('reserved - ?', [line.quantity]) });
  }
  const shortLines = await describeShortLines(trx, short);
  const summary = shortLines.map((l) => `${l.sku} (requested ${l.requested}, available ${l.available})`).join(', ');
  return rejection('INSUFFICIENT_STOCK', `not enough stock for ${summary}`, shortLines, []);
}

async function describeShortLines(trx: Knex.Transaction, short: readonly MedicationLine[]): Promise<ShortLine[]> {
  const rows: { sku: string; on_hand: number; reserved: number }[] = await trx(catalogItemsTable)
    .whereIn(
      'sku',
      short.map((line) => line.sku),
    )
    .select('sku', 'on_hand', 'reserved');
  const available = new Map(rows.map((row) => [row.sku, Math.max(0, row.on_hand - row.reserved)]));
  return short.map((line) => ({ sku: line.sku, requested: line.quantity, available: available.get(line.sku) ?? 0 }));
}

const rejection = (
  code: 'INSUFFICIENT_STOCK' | 'UNKNOWN_SKU',
  reason: string,
  shortLines: ShortLine[],
  unknownSkus: string[],
): ReservationDecision => ({ outcome: 'rejected', code, reason, shortLines, unknownSkus });

async function reservedLines(
  executor: Knex | Knex.Transaction,
  sagaId: string,
  status: string,
): Promise<MedicationLine[]> {
  const rows: { sku: string; quantity: number }[] = await executor(linesTable)
    .where({ saga_id: sagaId, status })
    .orderBy('sku')
    .select('sku', 'quantity');
  return rows.map((row) => ({ sku: row.sku, quantity: row.quantity }));
}

/** Orders arrive with distinct skus (the API checks); a repeated sku is reserved as one line. */
function mergedInSkuOrder(medications: readonly MedicationLine[]): MedicationLine[] {
  const quantities = new Map<string, number>();
  for (const { sku, quantity } of medications) quantities.set(sku, (quantities.get(sku) ?? 0) + quantity);
  return [...quantities.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([sku, quantity]) => ({ sku, quantity }));
}
