import type { Knex } from 'knex';
import type { Clock } from '../../../application/ports/clock';
import {
  CatalogValidationError,
  StockBelowReservedError,
  type Catalog,
  type CatalogItem,
  type CatalogItemChange,
} from '../../../application/ports/participants';
import { serviceSqlOf } from '../../database/serviceSql';
import { isUniqueViolation } from '../../database/uniqueViolation';
import {
  catalogItemsTable,
  selectAllItems,
  selectItem,
  selectItems,
  toCatalogItem,
  type CatalogItemRow,
} from './catalogItems';

/**
 * Catalog administration on `catalog_items`, on prepared statements (serviceSql.ts). Setting
 * `onHand` is one conditional update (`WHERE reserved <= onHand`), so it can never slip below what
 * a concurrent reservation holds.
 */
const updateItemSql =
  `UPDATE ${catalogItemsTable} SET on_hand = ?, name = COALESCE(?, name), controlled = COALESCE(?, controlled), ` +
  'updated_at = ? WHERE sku = ? AND reserved <= ?';
const insertItemSql = `INSERT INTO ${catalogItemsTable} (sku, name, controlled, on_hand, reserved, updated_at) VALUES (?, ?, ?, ?, 0, ?)`;

export function createBuiltinCatalog({ db, clock }: { db: Knex; clock: Clock }): Catalog {
  const sql = serviceSqlOf(db);

  const getItem = async (sku: string): Promise<CatalogItem | undefined> => {
    const [row] = (await sql.run(selectItem(sku))).rows as CatalogItemRow[];
    return row ? toCatalogItem(row) : undefined;
  };

  const updateItem = async (sku: string, change: CatalogItemChange): Promise<boolean> => {
    const params = [change.onHand, change.name ?? null, change.controlled ?? null, clock.now(), sku, change.onHand];
    return (await sql.run({ sql: updateItemSql, params })).changes === 1;
  };

  const insertItem = async (sku: string, change: CatalogItemChange & { name: string }): Promise<boolean> => {
    try {
      await sql.run({
        sql: insertItemSql,
        params: [sku, change.name, change.controlled ?? false, change.onHand, clock.now()],
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
        if (await updateItem(sku, change)) return (await getItem(sku))!;
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
      const rows = (await sql.run(selectItems([...new Set(skus)]))).rows as CatalogItemRow[];
      return rows.map(toCatalogItem);
    },

    async listItems(limit) {
      return ((await sql.run(selectAllItems(limit))).rows as CatalogItemRow[]).map(toCatalogItem);
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
