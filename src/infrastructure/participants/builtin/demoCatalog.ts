import type { Catalog, CatalogItem } from '../../../application/ports/participants';

/**
 * The demo catalog the `seed` command loads: common outpatient medications with their stock.
 * Controlled substances (Schedule II/IV) need a prescriber on the order.
 */
export type DemoCatalogItem = Readonly<{ sku: string; name: string; controlled: boolean; onHand: number }>;

export const demoCatalogItems: readonly DemoCatalogItem[] = [
  { sku: 'AMOX-500-CAP', name: 'Amoxicillin 500 mg capsules', controlled: false, onHand: 500 },
  { sku: 'IBU-200-TAB', name: 'Ibuprofen 200 mg tablets', controlled: false, onHand: 1000 },
  { sku: 'LISIN-10-TAB', name: 'Lisinopril 10 mg tablets', controlled: false, onHand: 400 },
  { sku: 'ATOR-20-TAB', name: 'Atorvastatin 20 mg tablets', controlled: false, onHand: 400 },
  { sku: 'METF-500-TAB', name: 'Metformin 500 mg tablets', controlled: false, onHand: 600 },
  { sku: 'OMEP-20-CAP', name: 'Omeprazole 20 mg capsules', controlled: false, onHand: 300 },
  { sku: 'SALB-100-INH', name: 'Salbutamol 100 mcg inhaler', controlled: false, onHand: 120 },
  { sku: 'INSG-100-PEN', name: 'Insulin glargine 100 U/ml pen', controlled: false, onHand: 80 },
  { sku: 'OXYC-5-TAB', name: 'Oxycodone 5 mg tablets', controlled: true, onHand: 60 },
  { sku: 'ALPR-05-TAB', name: 'Alprazolam 0.5 mg tablets', controlled: true, onHand: 90 },
  { sku: 'MPH-10-TAB', name: 'Methylphenidate 10 mg tablets', controlled: true, onHand: 70 },
];

/**
 * Puts every demo item in the catalog with its demo stock. Safe to run again: an item keeps what
 * open orders have reserved, and refuses (StockBelowReservedError) only if that exceeds the demo stock.
 */
export async function seedCatalog(catalog: Pick<Catalog, 'putItem'>): Promise<CatalogItem[]> {
  const seeded: CatalogItem[] = [];
  for (const { sku, ...item } of demoCatalogItems) seeded.push(await catalog.putItem(sku, item));
  return seeded;
}
