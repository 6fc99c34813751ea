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
const orderIdNamespace = namespace('6f1d3c8e-2a9b-4c1d-8e7f-0a1b2c3d4e5f');
/** Saga ids of requests that carry a key of their own (an Idempotency-Key): fixed forever too. */
const requestSagaIdNamespace = namespace('2c7e9b14-5a3f-4d8e-9b21-7f0c6e4d3a58');

export const orderIdOf = (sagaId: string): string => uuidV5(orderIdNamespace, sagaId);

/**
 * A random saga id; or, for a request with a key of its own, the one id that key names, so that
 * a retry of a request whose first try placed the order (and then lost its answer to a crash)
 * names the same order instead of placing a second one.
 */
export function newOrderIds(requestKey?: string): Readonly<{ sagaId: string; orderId: string }> {
  const sagaId = requestKey === undefined ? uuidv4() : uuidV5(requestSagaIdNamespace, requestKey);
  return { sagaId, orderId: orderIdOf(sagaId) };
}

function namespace(uuid: string): Buffer {
  return Buffer.from(uuid.replaceAll('-', ''), 'hex');
}

function uuidV5(namespaceBytes: Buffer, name: string): string {
  const digest = hash('sha1', Buffer.concat([namespaceBytes, Buffer.from(name, 'utf8')]), 'buffer');
  digest[6] = (digest[6]! & 0x0f) | 0x50; // version 5
  digest[8] = (digest[8]! & 0x3f) | 0x80; // RFC variant
  const hex = digest.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
