import { z } from 'zod';
import { medicationLine, shippingAddress } from '../eventCatalog/schemas';

/**
 * The POST /orders body (SPEC §5). Strict objects: an unknown key, `__proto__` included, is an
 * error rather than silently dropped. The HTTP layer validates with this same schema and
 * publishes it in /openapi.json.
 */
export const placeOrderInput = z
  .strictObject({
    patientId: z.string().trim().min(1).max(100),
    prescriberId: z.string().trim().min(1).max(100).optional(),
    medications: z
      .array(z.strictObject(medicationLine.shape))
      .min(1)
      .max(50)
      .refine((lines) => new Set(lines.map((line) => line.sku)).size === lines.length, {
        message: 'each sku may appear once: add the quantities of repeated lines together',
      }),
    shippingAddress: z.strictObject(shippingAddress.shape),
  })
  .meta({ id: 'PlaceOrderRequest' });

export type PlaceOrderInput = z.output<typeof placeOrderInput>;
