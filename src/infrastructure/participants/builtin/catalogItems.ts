import type { CatalogItem } from '../../../application/ports/participants';
import { inList, type Statement } from '../../database/serviceSql';

/** The `catalog_items` table, owned by the built-in catalog and inventory module. */
export const catalogItemsTable = 'catalog_items';

export type CatalogItemRow = Readonly<{
  sku: string;
  name: string;
  controlled: number | boolean;
  on_hand: number;
  reserved: number;
}>;

export const toCatalogItem = (row: CatalogItemRow): CatalogItem => ({
  sku: row.sku,
  name: row.name,
  controlled: Boolean(row.controlled),
  onHand: row.on_hand,
  reserved: row.reserved,
  available: Math.max(0, row.on_hand - row.reserved),
});

const itemColumns = 'sku, name, controlled, on_hand, reserved';

export const selectItem = (sku: string): Statement => ({
  sql: `SELECT ${itemColumns} FROM ${catalogItemsTable} WHERE sku = ?`,
  params: [sku],
});

/** The items among `skus` (at least one), in sku order. */
export function selectItems(skus: readonly string[]): Statement {
  const { placeholders, params } = inList(skus);
  return { sql: `SELECT ${itemColumns} FROM ${catalogItemsTable} WHERE sku IN (${placeholders}) ORDER BY sku`, params };
}

/**
 * Every item, in sku order, at most `limit`. The limit is written into the text (a whole number
 * by then) rather than bound: a bound LIMIT is refused by some MySQL servers' prepared statements.
 */
export const selectAllItems = (limit: number): Statement => ({
  sql: `SELECT ${itemColumns} FROM ${catalogItemsTable} ORDER BY sku LIMIT ${Math.max(0, Math.trunc(limit))}`,
  params: [],
});
