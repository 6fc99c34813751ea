/** Stream names of SPEC §3, built in one place. */

export const streamCategories = ['order', 'orderFulfillmentSaga', 'prescription', 'inventoryReservation', 'shipment'] as const;
export type StreamCategory = (typeof streamCategories)[number];

export const streamName = {
  order: (orderId: string) => `order-${orderId}`,
  saga: (sagaId: string) => `orderFulfillmentSaga-${sagaId}`,
  prescription: (orderId: string) => `prescription-${orderId}`,
  inventoryReservation: (orderId: string) => `inventoryReservation-${orderId}`,
  shipment: (orderId: string) => `shipment-${orderId}`,
} as const;

/** `order-1f0…` → `{ category: 'order', id: '1f0…' }`; undefined for a name outside the catalog. */
export function parseStreamName(stream: string): { category: StreamCategory; id: string } | undefined {
  const dash = stream.indexOf('-');
  const category = stream.slice(0, dash) as StreamCategory;
  if (dash <= 0 || !streamCategories.includes(category)) return undefined;
  return { category, id: stream.slice(dash + 1) };
}
