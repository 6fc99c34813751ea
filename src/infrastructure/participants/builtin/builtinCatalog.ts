import type { Knex } from 'knex';
import type { Clock } from '../../../application/ports/clock';
import {
  CatalogValidationError,
  StockBelowReservedError,
  type Catalog,
  type CatalogItem,
  type CatalogItemChange,
} from '../../../application/ports/participants';
import { catalogItemsTable, toCatalogItem, type CatalogItemRow } from './catalogItems';
import { isUniqueViolation } from '../../database/uniqueViolation';

/**
 * Catalog administration on `catalog_items`. Setting `onHand` is one conditional update
 * (`WHERE reserved <= onHand`), so it can never slip below what a concurrent reservation holds.
 */
export function createBuiltinCatalog({ db, clock }: { db: Knex; clock: Clock }): Catalog {
  const getItem = async (sku: string): Promise<CatalogItem | undefined> => {
    const row = await db<CatalogItemRow>(catalogItemsTable).where({ sku }).first();
    return row ? toCatalogItem(row) : undefined;
  };

  const updateItem = (sku: string, change: CatalogItemChange) =>
    db(catalogItemsTable)
      .where({ sku })
      .andWhere('reserved', '<=', change.onHand)
      .update({
        on_hand: change.onHand,
        ...(change.name === undefined ? {} : { name: change.name }),
        ...(change.controlled === undefined ? {} : { controlled: change.controlled }),
        updated_at: clock.now(),
      });

  const insertItem = async (sku: string, change: CatalogItemChange & { name: string }): Promise<boolean> => {
    try {
      await db(catalogItemsTable).insert({
        sku,
        name: change.name,
        controlled: change.controlled ?? false,
        on_hand: change.onHand,
        reserved: 0,
        updated_at: clock.now(),
      });
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  };

  return {
    getItem,

    async putItem(sku, change) {
      validate(sku, change);
      // Each round loses at most one race: a concurrent create, or a reservation moving `reserved`.
      for (let round = 0; round < 5; round++) {
        if ((await updateItem(sku, change)) === 1) return (await getItem(sku))!;
        const current = await getItem(sku);
        if (current) {
          if (current.reserved > change.onHand) throw new StockBelowReservedError(sku, change.onHand, current.reserved);
          continue;
        }
        if (change.name === undefined) {
          throw new CatalogValidationError(sku, [{ field: 'name', message: 'is required to create a new item' }]);
        }
        if (await insertItem(sku, { ...change, name: change.name })) return (await getItem(sku))!;
      }
      throw new Error(`inventory item ${sku} kept changing under concurrent writes; retry the request`);
    },

    async describeItems(skus) {
      if (skus.length === 0) return [];
      const rows = await db<CatalogItemRow>(catalogItemsTable)
        .whereIn('sku', [...new Set(skus)])
        .orderBy('sku');
      return rows.map(toCatalogItem);
    },
  };
}

/** The `on_hand` column is a signed 32-bit integer. */
const maxOnHand = 2_147_483_647;

function validate(sku: string, change: CatalogItemChange): void {
  const problems: { field: string; message: string }[] = [];
  if (sku.length === 0 || sku.length > 64) problems.push({ field: 'sku', message: 'must be 1 to 64 characters' });
  if (!Number.isInteger(change.onHand) || change.onHand < 0 || change.onHand > maxOnHand) {
    problems.push({ field: 'onHand', message: `must be a whole number from 0 to ${maxOnHand}` });
  }
  if (change.name !== undefined && (change.name.trim().length === 0 || change.name.length > 200)) {
    problems.push({ field: 'name', message: 'must be 1 to 200 characters' });
  }
  if (change.controlled !== undefined && typeof change.controlled !== 'boolean') {
    problems.push({ field: 'controlled', message: 'must be true or false' });
  }
  if (problems.length > 0) throw new CatalogValidationError(sku, problems);
}
