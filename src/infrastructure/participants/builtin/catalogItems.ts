import type { CatalogItem } from '../../../application/ports/participants';

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
