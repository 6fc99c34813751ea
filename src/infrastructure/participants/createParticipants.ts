import type { Knex } from 'knex';
import { systemClock, type Clock } from '../../application/ports/clock';
import type {
  Catalog,
  InventoryParticipant,
  PrescriptionsParticipant,
  ShippingParticipant,
} from '../../application/ports/participants';
import type { Config } from '../config/config';
import { createBuiltinCatalog } from './builtin/builtinCatalog';
import { createBuiltinInventory } from './builtin/builtinInventory';
import { createBuiltinPrescriptions } from './builtin/builtinPrescriptions';
import { createBuiltinShipping } from './builtin/builtinShipping';
import { createHttpInventory, createHttpPrescriptions, createHttpShipping } from './http/httpParticipants';
import { createParticipantHttpClient } from './http/participantHttpClient';

/**
 * The participants the workers call: each one an external HTTP service when its URL is
 * configured (PRESCRIPTIONS_URL, INVENTORY_URL, SHIPPING_URL), the built-in module on the service
 * database otherwise. The catalog is always built in: it backs `/inventory/:sku`, `seed`, and the
 * built-in prescriptions module's check for controlled medications.
 */
export type Participants = Readonly<{
  prescriptions: PrescriptionsParticipant;
  inventory: InventoryParticipant;
  shipping: ShippingParticipant;
  catalog: Catalog;
}>;

export function createParticipants({
  db,
  config,
  clock = systemClock,
}: {
  db: Knex;
  config: Pick<Config, 'participants' | 'shippingCountries'>;
  clock?: Clock;
}): Participants {
  const { prescriptionsUrl, inventoryUrl, shippingUrl, timeoutMs, breakerFailures, breakerHalfOpenAfterMs } =
    config.participants;
  const http = (participant: string, baseUrl: string) =>
    createParticipantHttpClient({
      participant,
      baseUrl,
      timeoutMs,
      breakerThreshold: breakerFailures,
      halfOpenAfterMs: breakerHalfOpenAfterMs,
    });
  const catalog = createBuiltinCatalog({ db, clock });
  return {
    catalog,
    prescriptions: prescriptionsUrl
      ? createHttpPrescriptions(http('prescriptions', prescriptionsUrl))
      : createBuiltinPrescriptions({ db, clock, catalog }),
    inventory: inventoryUrl
      ? createHttpInventory(http('inventory', inventoryUrl))
      : createBuiltinInventory({ db, clock }),
    shipping: shippingUrl
      ? createHttpShipping(http('shipping', shippingUrl))
      : createBuiltinShipping({ db, clock, shippingCountries: config.shippingCountries }),
  };
}
