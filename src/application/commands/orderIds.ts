import { v4 as uuidv4, v5 as uuidv5 } from 'uuid';

/**
 * A placed order gets a random saga id and an order id derived from it, so that knowing the saga
 * id is enough to find the order's stream (GET /sagas/:sagaId answers before the saga's own
 * stream exists). The namespace is fixed forever: changing it would orphan every stored order.
 */
const orderIdNamespace = '6f1d3c8e-2a9b-4c1d-8e7f-0a1b2c3d4e5f';

export const orderIdOf = (sagaId: string): string => uuidv5(sagaId, orderIdNamespace);

export function newOrderIds(): Readonly<{ sagaId: string; orderId: string }> {
  const sagaId = uuidv4();
  return { sagaId, orderId: orderIdOf(sagaId) };
}
