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
