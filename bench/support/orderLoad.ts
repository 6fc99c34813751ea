/**
 * The client side of the end-to-end cases (e2eThroughput.ts, e2eLatency.ts), over the HTTP API only:
 * seed stock (PUT /inventory/:sku), post orders with a fixed number of requests in flight
 * (POST /orders, Node's built-in fetch, which keeps connections alive), and follow
 * GET /sagas/stats until the sagas have completed.
 */

export const skus = Array.from({ length: 32 }, (_, index) => `E2E-${String(index).padStart(2, '0')}`);

export type Api = Readonly<{ baseUrl: string; clientToken: string; operatorToken: string }>;

async function call(api: Api, method: string, path: string, token: string, body?: unknown) {
  const response = await fetch(`${api.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** A valid order that completes: two distinct skus of the seeded catalog, a supported country. */
export function orderBody(index: number): string {
  return JSON.stringify({
    patientId: `patient-e2e-${index}`,
    medications: [
      { sku: skus[index % skus.length], quantity: 2 },
      { sku: skus[(index + 1) % skus.length], quantity: 1 },
    ],
    shippingAddress: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
  });
}

export async function seedStock(api: Api): Promise<void> {
  for (const sku of skus) {
    const { status, body } = await call(api, 'PUT', `/inventory/${sku}`, api.operatorToken, {
      name: `E2E ${sku}`,
      onHand: 100_000_000,
    });
    if (status !== 200) throw new Error(`PUT /inventory/${sku} answered ${status}: ${JSON.stringify(body)}`);
  }
}

async function sagaCounts(api: Api): Promise<Record<string, number>> {
  const { status, body } = await call(api, 'GET', '/sagas/stats', api.clientToken);
  if (status !== 200) throw new Error(`GET /sagas/stats answered ${status}: ${JSON.stringify(body)}`);
  return (body.counts as Record<string, number> | undefined) ?? {};
}

export const completedCount = async (api: Api): Promise<number> => (await sagaCounts(api)).COMPLETED ?? 0;

/** Sagas still moving: in a PENDING_* state or COMPENSATING. */
const inFlight = (counts: Record<string, number>) =>
  Object.entries(counts)
    .filter(([state]) => state.startsWith('PENDING_') || state === 'COMPENSATING')
    .reduce((sum, [, count]) => sum + count, 0);

/** Posts `count` orders, `inFlight` at a time; returns how many were accepted (202) and the other answers. */
export async function postOrders(
  api: Api,
  count: number,
  inFlight: number,
  firstIndex = 0,
): Promise<{ accepted: number; rejected: Record<string, number> }> {
  let next = 0;
  let accepted = 0;
  const rejected: Record<string, number> = {};
  const sender = async () => {
    while (next < count) {
      const index = firstIndex + next++;
      const status = await fetch(`${api.baseUrl}/orders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${api.clientToken}`, 'content-type': 'application/json' },
        body: orderBody(index),
      }).then(
        (response) => response.arrayBuffer().then(() => String(response.status)),
        (error: Error) => error.message,
      );
      if (status === '202') accepted++;
      else rejected[status] = (rejected[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, sender));
  return { accepted, rejected };
}

/** Places one order; answers its saga's id (the scale-out bench follows single sagas through a failover). */
export async function placeOrder(api: Api, index: number): Promise<string> {
  const { status, body } = await call(api, 'POST', '/orders', api.clientToken, JSON.parse(orderBody(index)));
  if (status !== 202) throw new Error(`POST /orders answered ${status}: ${JSON.stringify(body)}`);
  return body.sagaId as string;
}

/**
 * The states a saga's log says it moved to (the `to` of each SagaStateChanged the reactor wrote),
 * read from its streams (GET /sagas/:id/events), so no projection lag hides a move.
 */
export async function sagaStatesWritten(api: Api, sagaId: string): Promise<string[]> {
  const { status, body } = await call(api, 'GET', `/sagas/${sagaId}/events`, api.clientToken);
  if (status !== 200) throw new Error(`GET /sagas/${sagaId}/events answered ${status}: ${JSON.stringify(body)}`);
  return (body.events as { type: string; data: { to?: string } }[])
    .filter((event) => event.type === 'SagaStateChanged')
    .map((event) => event.data.to!);
}

/**
 * Polls the stats every 100 ms until COMPLETED reaches `target` and no saga is still moving (so a
 * load whose exact count the client does not know, autocannon's, has fully drained); returns the
 * last COMPLETED seen.
 */
export async function waitSettled(api: Api, target: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await sagaCounts(api);
    const completed = counts.COMPLETED ?? 0;
    if ((completed >= target && inFlight(counts) === 0) || Date.now() > deadline) return completed;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Polls the stats every 100 ms until COMPLETED reaches `target`; returns the last count seen. */
export async function waitCompleted(api: Api, target: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const completed = await completedCount(api);
    if (completed >= target || Date.now() > deadline) return completed;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
