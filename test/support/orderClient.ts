import { randomUUID } from 'node:crypto';

export type PlacedOrder = Readonly<{ sagaId: string; orderId: string }>;

/**
 * Posts one order as a careful client does: until the API accepts it, with the same
 * Idempotency-Key on every try, so that a retry after a lost answer appends nothing new. While the
 * API is down (no answer), busy (409 on the key) or our storage is away (503), it waits — the
 * Retry-After the service asks for when it gives one — and tries again. Any other 4xx is a bug.
 */
export async function postUntilAccepted(
  baseUrl: string,
  token: string,
  body: string,
  timeoutMs = 120_000,
): Promise<PlacedOrder> {
  const key = randomUUID();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${baseUrl}/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
      body,
    }).catch(() => undefined);
    if (response?.status === 202) return (await response.json()) as PlacedOrder;
    const text = await response?.text();
    if (response && response.status < 500 && response.status !== 409) {
      throw new Error(`POST /orders answered ${response.status}: ${text}`);
    }
    if (Date.now() > deadline) throw new Error(`POST /orders was never accepted (last answer ${response?.status})`);
    const retryAfterS = Number(response?.headers.get('retry-after'));
    await sleep(retryAfterS > 0 ? Math.min(retryAfterS * 1_000, 5_000) : 200);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
