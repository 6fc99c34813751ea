import { postUntilAccepted } from '../support/orderClient';
import { orderBody, orderKinds, type OrderKind } from '../support/orderKinds';

/**
 * A steady stream of orders, as clients send them: order `i` is posted at `i / ratePerSecond`
 * seconds whatever happened to the ones before it, and each client retries its own order (same
 * Idempotency-Key) until the API accepts it — through a killed API process or our storage away.
 * Kinds come round in the fixed mix of `orderKinds`, so every order's fault-free outcome is known.
 */
export type StreamOrder = Readonly<{
  index: number;
  kind: OrderKind;
  /** When the client first posted it (ms since the epoch). */
  postedAt: number;
  sagaId: string;
  orderId: string;
}>;

export type OrderStream = Readonly<{
  /** Resolves with every order once the last one is accepted. */
  done: Promise<StreamOrder[]>;
  /** When the stream posts its last order. */
  endsAt: number;
}>;

export function startOrderStream(
  baseUrl: string,
  token: string,
  { ratePerSecond, durationMs }: Readonly<{ ratePerSecond: number; durationMs: number }>,
): OrderStream {
  const startedAt = Date.now();
  const count = Math.round((ratePerSecond * durationMs) / 1_000);
  const interval = 1_000 / ratePerSecond;
  const post = async (index: number): Promise<StreamOrder> => {
    const kind = orderKinds[index % orderKinds.length]!;
    const postedAt = startedAt + index * interval;
    await new Promise((resolve) => setTimeout(resolve, postedAt - Date.now()));
    // Generous: a client keeps trying through the longest outage a scenario makes.
    const placed = await postUntilAccepted(baseUrl, token, orderBody('chaos', index, kind), 180_000);
    return { index, kind, postedAt, ...placed };
  };
  return {
    done: Promise.all(Array.from({ length: count }, (_, index) => post(index))),
    endsAt: startedAt + (count - 1) * interval,
  };
}
