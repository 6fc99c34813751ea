import type { RecordedEvent } from '../../src/application/ports/eventStore';
import { forEachConcurrently } from '../../src/application/saga/forEachConcurrently';
import { streamName } from '../../src/domain/events';
import { rebuildSagasProjection } from '../../src/infrastructure/readModel/projectionRebuild';
import { expectedFailureCode, expectedFinal, orderQuantity, orderSkus } from '../support/orderKinds';
import {
  compensationsOwed,
  compensationsRan,
  eventsOfSaga,
  typesOf,
  waitFor,
  type Storage,
} from '../support/sagaHarness';
import type { FlakyPrescriptions } from './flakyPrescriptions';
import type { StreamOrder } from './orderStream';
import { stockOnHand } from './rolesApart';
import type { Settled } from './sagaSettling';

/**
 * What the chaos suite checks once the sagas have settled (or the bound has passed), as a list of
 * violations, each naming its saga and rule, so that one run shows all that went wrong:
 * - §9.1 nothing stuck: every saga settled within the bound;
 * - a fault may delay an order, not change it: each ends as its kind says, with its failure code;
 * - §9.2 the compensations that ran are the successful steps, reversed; a step the saga gave up on
 *   (STEP_TIMEOUT, RETRIES_EXHAUSTED: its outcome unknown) may have its own compensation run
 *   first, which finds something to undo or nothing;
 * - §9.4 no side effect twice: no outcome of the order or a participant, nor the saga's start or
 *   end, twice in a saga's log (the saga's own bookkeeping events may repeat);
 * - one owner at a time: no input reacted to twice in a saga's log (two reactor copies deciding
 *   one saga at once would write a conflict, not merely retry one);
 * - §9.3 terminal means settled: a COMPLETED saga's effects are all in force at the participants,
 *   a CANCELLED saga's none; stock is conserved (what is reserved is exactly the quantities of the
 *   COMPLETED orders); one shipment per COMPLETED order;
 * - the read model shows each saga in the state its log says, once the projection catches up, and
 *   §9.5 rebuilding it from the log yields the same rows.
 */
export type Violation = Readonly<{ sagaId?: string; rule: string; detail: string }>;

export type Outcomes = Readonly<{
  violations: Violation[];
  /** Orders a fault changed: not ended as their kind says. */
  changed: number;
  /** The log of each saga a violation names, to print. */
  eventsOf: Map<string, RecordedEvent[]>;
}>;

const givenUpCodes = new Set(['STEP_TIMEOUT', 'RETRIES_EXHAUSTED']);
const compensationOfFailure: Record<string, string> = {
  PrescriptionFailed: 'CancelPrescription',
  InventoryReservationFailed: 'ReleaseInventory',
  ShipmentInitiationFailed: 'CancelShipment',
};

export async function checkOutcomes(
  storage: Storage,
  orders: readonly StreamOrder[],
  settled: ReadonlyMap<string, Settled>,
  prescriptions?: FlakyPrescriptions,
): Promise<Outcomes> {
  const violations: Violation[] = [];
  const eventsOf = new Map<string, RecordedEvent[]>();
  const effects = await effectsInForce(storage, orders, prescriptions);
  let changed = 0;
  await forEachConcurrently(orders, 16, async (order) => {
    const events = await eventsOfSaga(storage.eventStore, order.sagaId, order.orderId);
    const found = sagaViolations(order, settled.get(order.sagaId), events, effects);
    if (found.some((violation) => violation.rule === 'outcome')) changed++;
    if (found.length > 0) eventsOf.set(order.sagaId, events);
    violations.push(...found);
  });
  violations.push(...(await stockViolations(storage, orders, settled)));
  violations.push(...(await readModelViolations(storage, settled)));
  violations.push(...(await rebuildViolations(storage, settled)));
  return { violations, changed, eventsOf };
}

type Effects = Readonly<{ prescribed: Set<string>; reserved: Set<string>; shipped: Set<string> }>;

function sagaViolations(
  order: StreamOrder,
  settled: Settled | undefined,
  events: readonly RecordedEvent[],
  effects: Effects,
): Violation[] {
  const { sagaId } = order;
  const violation = (rule: string, detail: string): Violation => ({ sagaId, rule, detail });
  if (!settled) return [violation('stuck', `order ${order.index} (${order.kind}) has not settled`)];
  const failure = events.find((event) => event.type === 'SagaFailed');
  const failureCode = failure?.type === 'SagaFailed' ? failure.data.code : undefined;
  const found: Violation[] = [];
  if (settled.state !== expectedFinal[order.kind] || failureCode !== expectedFailureCode[order.kind]) {
    const expected = `${expectedFinal[order.kind]} ${expectedFailureCode[order.kind] ?? ''}`.trim();
    found.push(
      violation('outcome', `${order.kind} order ended ${settled.state} ${failureCode ?? ''}, not ${expected}`),
    );
  }
  const compensations = compensationsProblem(events, settled.state);
  if (compensations) found.push(violation('§9.2 compensations', compensations));
  const outcomes = typesOf(events.filter(isSideEffectOf(sagaId)));
  const twice = outcomes.filter((type, index) => outcomes.indexOf(type) !== index);
  if (twice.length > 0) found.push(violation('§9.4 once', `recorded twice: ${[...new Set(twice)].join(', ')}`));
  // One owner at a time: a saga never reacted to one input twice (two copies deciding it at once).
  const reactions = events.filter((event) => event.type === 'SagaStateChanged').map((e) => e.metadata.causationId);
  const reactedTwice = reactions.filter((input, index) => reactions.indexOf(input) !== index);
  if (reactedTwice.length > 0)
    found.push(violation('one owner', `inputs reacted to twice: ${reactedTwice.join(', ')}`));
  const inForce = [
    effects.prescribed.has(sagaId) && 'prescription',
    effects.reserved.has(sagaId) && 'reservation',
    effects.shipped.has(sagaId) && 'shipment',
  ].filter((effect): effect is string => typeof effect === 'string');
  if (settled.state === 'COMPLETED' && inForce.length !== 3) {
    found.push(violation('§9.3 settled', `COMPLETED with only ${inForce.join(', ') || 'nothing'} in force`));
  }
  if (settled.state === 'CANCELLED' && inForce.length > 0) {
    found.push(violation('§9.3 settled', `CANCELLED with ${inForce.join(', ')} still in force`));
  }
  return found;
}

const sagaMilestones = new Set(['SagaStarted', 'SagaCompleted', 'SagaFailed']);
const isSideEffectOf = (sagaId: string) => (event: RecordedEvent) =>
  event.stream !== streamName.saga(sagaId) || sagaMilestones.has(event.type);

/** Why the compensations that ran are not the ones owed, or undefined when they are. */
function compensationsProblem(events: readonly RecordedEvent[], state: string): string | undefined {
  const ran = compensationsRan(events);
  const owed = state === 'COMPLETED' ? [] : compensationsOwed(events).reverse();
  const givenUp = events.flatMap((event) =>
    event.type in compensationOfFailure && givenUpCodes.has((event.data as { code?: string }).code ?? '')
      ? [compensationOfFailure[event.type]!]
      : [],
  );
  // In MANUAL_REVIEW unwinding stopped, for an operator: what ran is where it stopped.
  const same = (a: readonly string[], b: readonly string[]) =>
    a.join() === (state === 'MANUAL_REVIEW' ? b.slice(0, a.length) : b).join();
  if (same(ran, owed)) return undefined;
  // A given-up step's own compensation, sent first whatever its outcome was.
  const [first, ...rest] = ran;
  if (first && givenUp.includes(first) && !owed.includes(first) && same(rest, owed)) return undefined;
  return `ran [${ran.join(', ')}], owed [${owed.join(', ')}]`;
}

async function effectsInForce(
  storage: Storage,
  orders: readonly StreamOrder[],
  prescriptions?: FlakyPrescriptions,
): Promise<Effects> {
  const sagaIds = orders.map((order) => order.sagaId);
  const ledger = async (table: string, status: string) =>
    new Set(
      (await storage.serviceDb(table).whereIn('saga_id', sagaIds).where({ status }).pluck('saga_id')) as string[],
    );
  return {
    prescribed: prescriptions
      ? new Set(sagaIds.filter((sagaId) => prescriptions.inForce(sagaId)))
      : await ledger('prescriptions', 'created'),
    reserved: await ledger('inventory_reservations', 'reserved'),
    shipped: await ledger('shipments', 'initiated'),
  };
}

async function stockViolations(
  storage: Storage,
  orders: readonly StreamOrder[],
  settled: ReadonlyMap<string, Settled>,
): Promise<Violation[]> {
  const completedUnits = orders
    .filter((order) => settled.get(order.sagaId)?.state === 'COMPLETED')
    .reduce((units, order) => units + orderQuantity(order.index), 0);
  const items = await storage.serviceDb('catalog_items').select('sku', 'on_hand', 'reserved');
  const held = (sku: string) => {
    const item = items.find((row: { sku: string }) => row.sku === sku);
    return { onHand: Number(item?.on_hand), reserved: Number(item?.reserved) };
  };
  const expected = { [orderSkus.plain]: completedUnits, [orderSkus.controlled]: 0 };
  return Object.entries(expected).flatMap(([sku, reserved]) => {
    const actual = held(sku);
    return actual.onHand === stockOnHand && actual.reserved === reserved
      ? []
      : [
          {
            rule: '§9.3 stock',
            detail: `${sku}: onHand − available is ${actual.reserved} (onHand ${actual.onHand}), the COMPLETED orders hold ${reserved}`,
          },
        ];
  });
}

/** Waits (bounded) for the projection to show every settled saga as its log does. */
async function readModelViolations(storage: Storage, settled: ReadonlyMap<string, Settled>): Promise<Violation[]> {
  const sagaIds = [...settled.keys()];
  const differing = async () => {
    const rows = (await storage
      .serviceDb('order_fulfillment_sagas')
      .whereIn('saga_uuid', sagaIds)
      .select('saga_uuid', 'state')) as { saga_uuid: string; state: string }[];
    const shown = new Map(rows.map((row) => [row.saga_uuid, row.state]));
    return sagaIds.filter((sagaId) => shown.get(sagaId) !== settled.get(sagaId)!.state);
  };
  const left = { sagaIds: [] as string[] };
  const caughtUp = await waitFor(
    'the read model to catch up',
    async () => {
      left.sagaIds = await differing().catch(() => sagaIds);
      return left.sagaIds.length === 0 ? true : undefined;
    },
    30_000,
  ).catch(() => false);
  if (caughtUp) return [];
  return left.sagaIds.map((sagaId) => ({
    sagaId,
    rule: 'read model',
    detail: `the read model does not show ${settled.get(sagaId)!.state} within 30 s`,
  }));
}

/** §9.5: the settled sagas' rows, live and after `projections rebuild`, column by column. */
async function rebuildViolations(storage: Storage, settled: ReadonlyMap<string, Settled>): Promise<Violation[]> {
  const sagaIds = [...settled.keys()];
  type Row = Record<string, unknown>;
  const rows = async () => {
    const found = (await storage.serviceDb('order_fulfillment_sagas').whereIn('saga_uuid', sagaIds).select()) as Row[];
    // `id` is the table's own counter, in the order rows were first written.
    return new Map(found.map(({ id: _id, ...row }) => [row.saga_uuid as string, row]));
  };
  const live = await rows();
  const { serviceDb, eventStore, headPosition } = storage.service;
  await rebuildSagasProjection({ serviceDb, eventStore, headPosition });
  const rebuilt = await rows();
  return sagaIds.flatMap((sagaId) => {
    const before = live.get(sagaId) ?? {};
    const after = rebuilt.get(sagaId) ?? {};
    const columns = Object.keys({ ...before, ...after }).filter(
      (column) => JSON.stringify(before[column]) !== JSON.stringify(after[column]),
    );
    return columns.length === 0
      ? []
      : [{ sagaId, rule: '§9.5 rebuild', detail: `a rebuild changes ${columns.join(', ')}` }];
  });
}
