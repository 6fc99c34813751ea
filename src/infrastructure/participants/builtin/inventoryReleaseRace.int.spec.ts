import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { Knex } from 'knex';
import { systemClock } from '../../../application/ports/clock';
import type {
  InventoryParticipant,
  ReserveInventoryOutcome,
  StepRequest,
} from '../../../application/ports/participants';
import type { MedicationLine } from '../../../domain/events/values';
import { createTestDatabase, type TestDatabase, type TestDatabaseKind } from '../../../testing/testServices';
import { createKnex } from '../../database/knexClient';
import { aStepRequest, compensationOf } from '../testing/stepRequests';
import { createBuiltinCatalog } from './builtinCatalog';
import { createBuiltinInventory } from './builtinInventory';

/**
 * A reservation racing its own release (project issue 8, finding 5: stock held by cancelled
 * orders). Many sagas, each running `reserve` and `release` for the same saga at once — a
 * redelivered reservation against its release, a reservation overtaken by its release, a
 * compensation redelivered — in random interleavings, on several workers: knex clients, each with
 * its own statement layer, so several pooled connections on MariaDB (transactions truly overlap:
 * the report shows InnoDB lock waits and deadlocks) and several connections to one SQLite file
 * (transactions interleave whole, as the file's one write lock allows).
 * Afterwards every saga must be exactly one of:
 * - reserved: no release was sent, stock taken once, every success answer the same reservation;
 * - released: the reservation was made and undone once, stock back;
 * - tombstone: the release came first, the reservation took nothing and said `alreadyCompensated`;
 * - rejected: nothing taken, nothing given back.
 * `reserved` on each sku must equal the sum of standing reservations, `on_hand` never moves, the
 * CHECK constraint never trips (a call failing on it is a violation) and `available` is never
 * seen negative.
 *
 * Calls that fail on a transient error (a deadlock, a lock wait timeout, SQLITE_BUSY, a
 * reservation out of attempts) are retried, as the job that runs them would.
 *
 * INVENTORY_RACE_SAGAS: sagas per backend (1000 by default, ~2 s on MariaDB; try 20000 locally).
 * INVENTORY_RACE_SEED: replays a run's random choices (every failure message names the seed).
 * INVENTORY_RACE_REPORT=1: prints what each run exercised.
 */
const sagaCount = Number(process.env.INVENTORY_RACE_SAGAS ?? 1000);
const seed = Number(process.env.INVENTORY_RACE_SEED ?? Math.floor(Math.random() * 2 ** 31));
const printReport = process.env.INVENTORY_RACE_REPORT === '1';

const workerCount = 3;
/** Sagas in flight at once: enough to keep every worker's connections busy, few enough that one saga's calls meet. */
const sagasInFlight = 8;
const plentifulSkus = ['PLENTY-1', 'PLENTY-2', 'PLENTY-3'];
const scarceSku = 'SCARCE';
const plentifulStock = 1_000_000;
/** Few enough that racing reservations are short of it (rejections, the reservation's retry loop). */
const scarceStock = 4;

type Call = 'reserve' | 'release';

/** How a saga's calls arrive. `first` runs (and completes) before the others, which race. */
type Scenario = Readonly<{ name: string; first?: Call; racing: readonly Call[]; inOrder?: boolean }>;

const scenarios: readonly Scenario[] = [
  { name: 'reserve ‖ release', racing: ['reserve', 'release'] },
  { name: 'reserve ‖ redelivered reserve ‖ release', racing: ['reserve', 'reserve', 'release'] },
  { name: 'release, then a late reserve while it runs', racing: ['release', 'reserve'], inOrder: true },
  { name: 'reserved; redelivered reserve ‖ release', first: 'reserve', racing: ['reserve', 'release'] },
  { name: 'reserve ‖ release ‖ redelivered release', racing: ['reserve', 'release', 'release'] },
  { name: 'reserve ‖ redelivered reserve, no release', racing: ['reserve', 'reserve'] },
];

const hasRelease = (scenario: Scenario) => scenario.first === 'release' || scenario.racing.includes('release');

type Answer =
  | Readonly<{ call: 'reserve'; outcome: ReserveInventoryOutcome }>
  | Readonly<{ call: 'release'; lines: readonly MedicationLine[] }>
  | Readonly<{ call: Call; error: unknown }>;

type Saga = Readonly<{ request: StepRequest; lines: readonly MedicationLine[]; scenario: Scenario; answers: Answer[] }>;

type LedgerRow = Readonly<{ saga_id: string; status: string; reservation_id: string | null }>;
type LineRow = Readonly<{ saga_id: string; sku: string; quantity: number; status: string }>;
type ItemRow = Readonly<{ sku: string; on_hand: number; reserved: number }>;

describe.each<TestDatabaseKind>(['sqlite', 'mysql'])('a reservation racing its release on %s', (kind) => {
  let database: TestDatabase;
  let workers: InventoryParticipant[];
  const extraClients: Knex[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(kind, { migrate: ['service'] });
    for (let i = 1; i < workerCount; i++) extraClients.push(createKnex(database.url));
    workers = [database.db, ...extraClients].map((db) => createBuiltinInventory({ db, clock: systemClock }));
  });
  afterAll(async () => {
    for (const client of extraClients) await client.destroy();
    await database.drop();
  });

  it(`${sagaCount} sagas: every reservation either stands or is undone once, stock adds up (seed ${seed})`, async () => {
    const random = seededRandom(seed);
    const skus = await stockTheCatalog(database.db, 'race');
    const sagas = Array.from({ length: sagaCount }, () => aSaga(random, skus));
    const retries = new Map<string, number>();
    const lockCounters = await innodbLockCounters(database, kind);

    const lowest = watchLowestAvailable(database.db);
    let next = 0;
    await Promise.all(
      Array.from({ length: sagasInFlight }, async () => {
        while (next < sagas.length) await runSaga(sagas[next++]!, workers, random, retries);
      }),
    );
    const lowestAvailable = await lowest.stop();

    const { violations, finals } = await check(database.db, sagas, skus);
    if (printReport) {
      report(kind, sagas, finals, retries, lowestAvailable, await innodbLockCounters(database, kind, lockCounters));
    }
    expect({
      seed,
      violations: violations.length,
      first: violations.slice(0, 20),
      negativeAvailableSeen: Math.min(0, lowestAvailable),
    }).toEqual({
      seed,
      violations: 0,
      first: [],
      negativeAvailableSeen: 0,
    });
    // A run in which every race went one way proved nothing about the other: both orders must occur.
    if (sagaCount >= 100) {
      expect({ seed, raced: finalsOf(sagas, finals, scenarios[0]!) }).toEqual({
        seed,
        raced: expect.objectContaining({ released: expect.any(Number), tombstone: expect.any(Number) }),
      });
    }
  });

  it('late reservations after their releases (tombstones) take nothing and answer alreadyCompensated', async () => {
    const skus = await stockTheCatalog(database.db, 'late');
    const random = seededRandom(seed + 1);
    const sagas = Array.from({ length: Math.min(sagaCount, 100) }, () => aSaga(random, skus));
    const pick = () => workers[Math.floor(random() * workers.length)]!;

    const releases = await Promise.all(sagas.map(({ request }) => pick().release(compensationOf(request))));
    const late = await Promise.all(sagas.flatMap(({ request }) => [pick().reserve(request), pick().reserve(request)]));

    expect(releases.filter((answer) => answer.lines.length > 0)).toEqual([]);
    expect(late.filter((outcome) => outcome.outcome !== 'alreadyCompensated')).toEqual([]);
    const sagaIds = sagas.map(({ request }) => request.sagaId);
    const ledger = (await database.db('inventory_reservations').whereIn('saga_id', sagaIds)) as LedgerRow[];
    expect(ledger.map((row) => row.status)).toEqual(sagaIds.map(() => 'tombstone'));
    expect(await database.db('inventory_reservation_lines').whereIn('saga_id', sagaIds)).toEqual([]);
    const items = (await database.db('catalog_items').whereIn('sku', Object.values(skus))) as ItemRow[];
    expect(items.map((item) => item.reserved)).toEqual(items.map(() => 0));
  });
});

/** This run's skus (prefixed, so the two tests of a file never share stock), created with their stock. */
type Skus = Readonly<Record<string, string>>;

async function stockTheCatalog(db: Knex, prefix: string): Promise<Skus> {
  const catalog = createBuiltinCatalog({ db, clock: systemClock });
  const skus: Record<string, string> = {};
  for (const sku of [...plentifulSkus, scarceSku]) {
    skus[sku] = `${prefix}-${sku}`;
    await catalog.putItem(skus[sku], {
      name: `Item ${sku}`,
      onHand: sku === scarceSku ? scarceStock : plentifulStock,
    });
  }
  return skus;
}

/** A saga with 1 to 3 lines; one that keeps its reservation never takes the scarce sku, so it stays contended. */
function aSaga(random: () => number, skus: Skus): Saga {
  const scenario = scenarios[Math.floor(random() * scenarios.length)]!;
  const candidates = hasRelease(scenario) ? [...plentifulSkus, scarceSku] : plentifulSkus;
  const chosen = shuffled(candidates, random).slice(0, 1 + Math.floor(random() * 3));
  const lines = chosen
    .map((sku) => ({ sku: skus[sku]!, quantity: 1 + Math.floor(random() * 3) }))
    .sort((a, b) => (a.sku < b.sku ? -1 : 1));
  return { request: aStepRequest({ medications: shuffled(lines, random) }), lines, scenario, answers: [] };
}

async function runSaga(
  saga: Saga,
  workers: InventoryParticipant[],
  random: () => number,
  retries: Map<string, number>,
) {
  const worker = () => workers[Math.floor(random() * workers.length)]!;
  const run = async (call: Call, on: InventoryParticipant) => {
    try {
      const job = `${call} in ${saga.scenario.name}`;
      if (call === 'reserve')
        saga.answers.push({ call, outcome: await asAJob(job, () => on.reserve(saga.request), retries) });
      else
        saga.answers.push({
          call,
          lines: (await asAJob(job, () => on.release(compensationOf(saga.request)), retries)).lines,
        });
    } catch (error) {
      saga.answers.push({ call, error });
    }
  };
  if (saga.scenario.first) await run(saga.scenario.first, worker());
  const calls = saga.scenario.inOrder ? saga.scenario.racing : shuffled(saga.scenario.racing, random);
  let pause = Promise.resolve();
  await Promise.all(
    calls.map((call) => {
      const on = worker();
      // A call starts at once, on the next turn of the event loop, or up to 2 ms later; in order, each after the last.
      const delay = Math.floor(random() * 4);
      const start: Promise<unknown> =
        delay === 0 ? Promise.resolve() : delay === 1 ? nextTurn() : sleep(Math.floor(random() * 3));
      const started = saga.scenario.inOrder ? pause.then(() => start) : start;
      pause = started.then(() => undefined);
      return started.then(() => run(call, on));
    }),
  );
}

/** Runs `call`, retrying it after a transient failure as the job would. */
async function asAJob<T>(job: string, call: () => Promise<T>, retries: Map<string, number>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const transient = transientFailure(error);
      if (!transient || attempt === 10) throw error;
      const key = `${transient}: ${job}`;
      retries.set(key, (retries.get(key) ?? 0) + 1);
      await sleep(attempt);
    }
  }
}

function transientFailure(error: unknown): string | undefined {
  const { errno, code, message } = (error ?? {}) as { errno?: unknown; code?: unknown; message?: unknown };
  if (errno === 1213) return 'deadlock';
  if (errno === 1205) return 'lock wait timeout';
  if (code === 'SQLITE_BUSY') return 'SQLITE_BUSY';
  if (typeof message === 'string' && /a line was not taken \d+ times/.test(message))
    return 'reservation out of attempts';
  return undefined;
}

/** Samples the lowest `on_hand - reserved` of any item (raw, not clamped at 0) until stopped. */
function watchLowestAvailable(db: Knex) {
  let running = true;
  let lowest = Infinity;
  const sampling = (async () => {
    while (running) {
      const [row] = (await db('catalog_items').select(db.raw('MIN(on_hand - reserved) AS lowest'))) as {
        lowest: number;
      }[];
      lowest = Math.min(lowest, Number(row!.lowest));
      await sleep(5);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await sampling;
      return lowest;
    },
  };
}

type Final = 'reserved' | 'released' | 'tombstone' | 'rejected' | 'no row';

/** Every way a saga's rows, its answers or the stock can be wrong, as sentences; and how each saga ended. */
async function check(db: Knex, sagas: readonly Saga[], skus: Skus) {
  const ledger = new Map(((await db('inventory_reservations')) as LedgerRow[]).map((row) => [row.saga_id, row]));
  const linesOf = new Map<string, LineRow[]>();
  for (const line of (await db('inventory_reservation_lines').orderBy(['saga_id', 'sku'])) as LineRow[]) {
    linesOf.set(line.saga_id, [...(linesOf.get(line.saga_id) ?? []), line]);
  }
  const violations: string[] = [];
  const finals = new Map<string, Final>();
  const standing = new Map<string, number>();

  for (const saga of sagas) {
    const { sagaId } = saga.request;
    const row = ledger.get(sagaId);
    const status = (row?.status ?? 'no row') as Final;
    finals.set(sagaId, status);
    const problems = sagaProblems(saga, status, row?.reservation_id ?? null, linesOf.get(sagaId) ?? []);
    for (const problem of problems)
      violations.push(`saga ${sagaId} (${saga.scenario.name}, ended ${status}): ${problem}`);
    if (status === 'reserved') {
      for (const line of saga.lines) standing.set(line.sku, (standing.get(line.sku) ?? 0) + line.quantity);
    }
  }

  const reservedLines = [...linesOf.values()].flat().filter((line) => line.status === 'reserved');
  const items = (await db('catalog_items').whereIn('sku', Object.values(skus))) as ItemRow[];
  for (const item of items) {
    const expected = standing.get(item.sku) ?? 0;
    const onLines = reservedLines.filter((line) => line.sku === item.sku).reduce((sum, line) => sum + line.quantity, 0);
    if (item.reserved !== expected || onLines !== expected) {
      violations.push(
        `sku ${item.sku}: reserved ${item.reserved}, reserved lines ${onLines}, standing reservations ${expected}`,
      );
    }
    const onHand = item.sku.endsWith(scarceSku) ? scarceStock : plentifulStock;
    if (item.on_hand !== onHand) violations.push(`sku ${item.sku}: on_hand moved from ${onHand} to ${item.on_hand}`);
  }
  return { violations, finals };
}

function sagaProblems(saga: Saga, status: Final, reservationId: string | null, lines: readonly LineRow[]): string[] {
  const problems: string[] = [];
  const reserves = saga.answers.filter((answer) => answer.call === 'reserve');
  const releases = saga.answers.filter((answer) => answer.call === 'release');
  for (const answer of saga.answers) {
    if ('error' in answer) problems.push(`${answer.call} failed: ${String(answer.error)}`);
  }
  const outcomes = reserves.flatMap((answer) => ('outcome' in answer ? [answer.outcome] : []));
  const successes = outcomes.filter((outcome) => outcome.outcome === 'succeeded');
  const released = releases.flatMap((answer) => ('lines' in answer ? [answer.lines] : []));
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const linesAre = (lineStatus: string) =>
    same(
      lines.map(({ sku, quantity, status: s }) => ({ sku, quantity, status: s })),
      saga.lines.map((line) => ({ ...line, status: lineStatus })),
    );

  switch (status) {
    case 'reserved':
    case 'released': {
      if (status === 'reserved' && hasRelease(saga.scenario))
        problems.push('stock still held after its release answered');
      if (status === 'released' && !hasRelease(saga.scenario)) problems.push('released without a release');
      if (!linesAre(status))
        problems.push(`lines ${JSON.stringify(lines)}, expected ${status} ${JSON.stringify(saga.lines)}`);
      if (successes.length === 0)
        problems.push(`stock taken, yet no reservation answered a success: ${JSON.stringify(outcomes)}`);
      for (const success of successes) {
        if (!same(success, { outcome: 'succeeded', reservationId, lines: saga.lines })) {
          problems.push(`success ${JSON.stringify(success)} is not the reservation ${reservationId}`);
        }
      }
      const others = outcomes.filter((o) => o.outcome !== 'succeeded' && o.outcome !== 'alreadyCompensated');
      if (others.length > 0) problems.push(`reservation also answered ${JSON.stringify(others)}`);
      if (status === 'reserved' && outcomes.some((o) => o.outcome === 'alreadyCompensated')) {
        problems.push('answered alreadyCompensated with nothing compensated');
      }
      for (const answer of released) {
        if (!same(answer, saga.lines)) problems.push(`release answered ${JSON.stringify(answer)}`);
      }
      break;
    }
    case 'tombstone':
      if (lines.length > 0) problems.push(`lines left behind a tombstone: ${JSON.stringify(lines)}`);
      if (outcomes.some((o) => o.outcome !== 'alreadyCompensated')) {
        problems.push(`a reservation after the tombstone answered ${JSON.stringify(outcomes)}`);
      }
      for (const answer of released) if (answer.length > 0) problems.push(`release answered ${JSON.stringify(answer)}`);
      break;
    case 'rejected':
      if (lines.length > 0) problems.push(`lines left behind a rejection: ${JSON.stringify(lines)}`);
      if (outcomes.some((o) => o.outcome !== 'rejected' || !same(o, outcomes[0]))) {
        problems.push(`a rejected reservation also answered ${JSON.stringify(outcomes)}`);
      }
      for (const answer of released) if (answer.length > 0) problems.push(`release answered ${JSON.stringify(answer)}`);
      break;
    case 'no row':
      problems.push('no ledger row, yet calls completed');
      break;
  }
  return problems;
}

function finalsOf(sagas: readonly Saga[], finals: ReadonlyMap<string, Final>, scenario: Scenario) {
  const counts: Partial<Record<Final, number>> = {};
  for (const saga of sagas) {
    if (saga.scenario !== scenario) continue;
    const final = finals.get(saga.request.sagaId)!;
    counts[final] = (counts[final] ?? 0) + 1;
  }
  return counts;
}

/** InnoDB's lock waits and deadlocks so far (server-wide: other clients count too); none on SQLite. */
async function innodbLockCounters(
  database: TestDatabase,
  kind: TestDatabaseKind,
  since?: Readonly<Record<string, number>>,
): Promise<Record<string, number>> {
  if (kind !== 'mysql') return {};
  const [rows] = (await database.db.raw(
    "SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_row_lock_waits', 'Innodb_deadlocks')",
  )) as [{ Variable_name: string; Value: string }[]];
  return Object.fromEntries(
    rows.map((row) => [row.Variable_name, Number(row.Value) - (since?.[row.Variable_name] ?? 0)]),
  );
}

function report(
  kind: TestDatabaseKind,
  sagas: readonly Saga[],
  finals: ReadonlyMap<string, Final>,
  retries: ReadonlyMap<string, number>,
  lowestAvailable: number,
  lockCounters: Readonly<Record<string, number>>,
) {
  const lines = [`${kind}: ${sagas.length} sagas, seed ${seed}, lowest available seen ${lowestAvailable}`];
  for (const scenario of scenarios) {
    const count = sagas.filter((saga) => saga.scenario === scenario).length;
    lines.push(`  ${scenario.name}: ${count} sagas, ended ${JSON.stringify(finalsOf(sagas, finals, scenario))}`);
  }
  lines.push('  transient failures retried:', ...[...retries].map(([failure, count]) => `    ${failure}: ${count}`));
  if (kind === 'mysql') lines.push(`  InnoDB during the run (server-wide): ${JSON.stringify(lockCounters)}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/** mulberry32: a small seeded generator, so a failing run's choices can be replayed. */
function seededRandom(start: number): () => number {
  let state = start >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
