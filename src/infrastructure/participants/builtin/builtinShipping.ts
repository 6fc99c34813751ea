import { randomInt, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Clock } from '../../../application/ports/clock';
import type {
  AlreadyCompensated,
  InitiateShipmentOutcome,
  ShippingParticipant,
  StepRequest,
} from '../../../application/ports/participants';
import { serviceSqlOf } from '../../database/serviceSql';
import { StepLedger } from './stepLedger';

/**
 * Shipping (SPEC §4), one row per saga in `shipments`. Ships only to the configured countries
 * (SHIPPING_COUNTRIES); the carrier is picked by destination and hands out the tracking number.
 */

type Carrier = Readonly<{ name: string; trackingPrefix: string }>;

const carriers = {
  northAmerica: { name: 'UPS', trackingPrefix: '1Z' },
  britishIsles: { name: 'Royal Mail', trackingPrefix: 'RM' },
  oceania: { name: 'Australia Post', trackingPrefix: 'AP' },
  europe: { name: 'DHL', trackingPrefix: 'DH' },
} satisfies Record<string, Carrier>;

const carrierByCountry: Readonly<Record<string, Carrier>> = {
  US: carriers.northAmerica,
  CA: carriers.northAmerica,
  GB: carriers.britishIsles,
  IE: carriers.britishIsles,
  AU: carriers.oceania,
  NZ: carriers.oceania,
};

export function createBuiltinShipping({
  db,
  clock,
  shippingCountries,
}: {
  db: Knex;
  clock: Clock;
  shippingCountries: readonly string[];
}): ShippingParticipant {
  const sql = serviceSqlOf(db);
  const ledger = new StepLedger(
    sql,
    {
      table: 'shipments',
      succeeded: 'initiated',
      compensated: 'cancelled',
      columns: ['country', 'shipment_id', 'carrier', 'tracking_number'],
    },
    clock,
  );
  const supported = new Set(shippingCountries.map((country) => country.toUpperCase()));

  const decide = (request: StepRequest): Exclude<InitiateShipmentOutcome, AlreadyCompensated> => {
    const country = request.shippingAddress.country.toUpperCase();
    if (!supported.has(country)) {
      return {
        outcome: 'rejected',
        code: 'UNSUPPORTED_DESTINATION',
        reason: `we do not ship to ${country}; destinations served: ${[...supported].join(', ')}`,
      };
    }
    const carrier = carrierByCountry[country] ?? carriers.europe;
    return {
      outcome: 'succeeded',
      shipmentId: randomUUID(),
      carrier: carrier.name,
      trackingNumber: trackingNumber(carrier),
    };
  };

  return {
    initiateShipment: (request) =>
      ledger.forward(request.sagaId, async () => {
        const outcome = decide(request);
        const shipped = outcome.outcome === 'succeeded' ? outcome : undefined;
        const country = request.shippingAddress.country.toUpperCase().slice(0, 2);
        await sql.run(
          ledger.record(request, outcome, [
            country,
            shipped?.shipmentId ?? null,
            shipped?.carrier ?? null,
            shipped?.trackingNumber ?? null,
          ]),
        );
        return outcome;
      }),

    cancelShipment: async (request) => {
      const answer = await ledger.compensate(request, [], ledger.compensatedColumn(request.sagaId, 'shipment_id'));
      const [row] = answer.rows as { shipment_id: string | null }[];
      return { shipmentId: row?.shipment_id ?? null };
    },
  };
}

const trackingNumber = (carrier: Carrier) =>
  `${carrier.trackingPrefix}${Array.from({ length: 16 }, () => randomInt(10)).join('')}`;
