import { hash } from 'node:crypto';
import { v4 as uuidv4 } from 'uuid';

/**
 * A placed order gets a random saga id and an order id derived from it, so that knowing the saga
 * id is enough to find the order's stream (GET /sagas/:sagaId answers before the saga's own
 * stream exists). The namespace is fixed forever: changing it would orphan every stored order.
 *
 * The derivation is RFC 9562's UUID version 5 (SHA-1 of namespace and name), the same ids as
 * uuid's v5(sagaId, namespace), computed with one call to node:crypto's hash: uuid's v5 parses the
 * namespace and re-encodes the name on every call, which made it the dearest step of placing an
 * order after the append.
 */
const orderIdNamespace = '6f1d3c8e-2a9b-4c1d-8e7f-0a1b2c3d4e5f';
const namespaceBytes = Buffer.from(orderIdNamespace.replaceAll('-', ''), 'hex');

export function orderIdOf(sagaId: string): string {
  const digest = hash('sha1', Buffer.concat([namespaceBytes, Buffer.from(sagaId, 'utf8')]), 'buffer');
  digest[6] = (digest[6]! & 0x0f) | 0x50; // version 5
  digest[8] = (digest[8]! & 0x3f) | 0x80; // RFC variant
  const hex = digest.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function newOrderIds(): Readonly<{ sagaId: string; orderId: string }> {
  const sagaId = uuidv4();
  return { sagaId, orderId: orderIdOf(sagaId) };
}
