/**
 * Upcasters lift a stored event's data from one schema version to the next. They are pure and
 * total over what was ever written with that version.
 */

/**
 * OrderCreated v1 (the first HTTP contract) named the order lines `items` with `qty`, and had no
 * prescriber field for orders without one. v2 speaks the SPEC's words: `medications` with
 * `quantity`, and `prescriberId: null` when absent.
 */
export function orderCreatedV1ToV2(data: unknown): unknown {
  const { items, prescriberId, ...rest } = data as {
    items?: { sku: string; qty: number }[];
    prescriberId?: string | null;
  } & Record<string, unknown>;
  return {
    ...rest,
    prescriberId: prescriberId ?? null,
    medications: (items ?? []).map(({ sku, qty }) => ({ sku, quantity: qty })),
  };
}

/**
 * SagaStateChanged v1 carried the machine's snapshot in every event; v2 records the facts and keeps
 * a snapshot only now and then (domain/saga/sagaHistory.ts). A v1 event is a v2 event that kept
 * one: its data is unchanged, and the saga loads from its snapshot.
 */
export function sagaStateChangedV1ToV2(data: unknown): unknown {
  return data;
}
