/**
 * Orders whose outcome their content decides, with the built-in participants (and the chaos
 * suite's own prescriptions service, which applies the same rule): a test that breaks the service
 * knows how each order would have ended without the fault. Stock is seeded on `orderSkus.plain`
 * and `orderSkus.controlled`; `orderSkus.unknown` is in no catalog.
 */
export type OrderKind = 'happy' | 'prescriptionFails' | 'unknownSku' | 'shipmentFails';

/** The mix of a stream of orders, repeated: two healthy orders in five. */
export const orderKinds: readonly OrderKind[] = ['happy', 'happy', 'prescriptionFails', 'unknownSku', 'shipmentFails'];

export const orderSkus = { plain: 'CR-A', controlled: 'CR-CTRL', unknown: 'CR-NOPE' } as const;

export const expectedFinal: Record<OrderKind, 'COMPLETED' | 'CANCELLED'> = {
  happy: 'COMPLETED',
  prescriptionFails: 'CANCELLED',
  unknownSku: 'CANCELLED',
  shipmentFails: 'CANCELLED',
};

export const expectedFailureCode: Record<OrderKind, string | undefined> = {
  happy: undefined,
  prescriptionFails: 'PRESCRIBER_REQUIRED',
  unknownSku: 'UNKNOWN_SKU',
  shipmentFails: 'UNSUPPORTED_DESTINATION',
};

/** The quantity order `index` asks for: 1 to 3 units, so stock checks see more than a count. */
export const orderQuantity = (index: number) => 1 + (index % 3);

/** The POST /orders body of order `index` of a kind; `label` names the test in its patient id. */
export function orderBody(label: string, index: number, kind: OrderKind): string {
  return JSON.stringify({
    patientId: `${label}-${index}`,
    ...(kind === 'prescriptionFails' ? {} : { prescriberId: 'dr-1' }),
    medications: [
      {
        sku:
          kind === 'unknownSku'
            ? orderSkus.unknown
            : kind === 'prescriptionFails'
              ? orderSkus.controlled
              : orderSkus.plain,
        quantity: orderQuantity(index),
      },
    ],
    shippingAddress: {
      line1: '1 Main St',
      city: 'Springfield',
      postalCode: '12345',
      country: kind === 'shipmentFails' ? 'JP' : 'US',
    },
  });
}
