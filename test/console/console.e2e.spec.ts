import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { freePort } from '../../src/testing/freePort';
import {
  artifactsFolder,
  consolePage,
  eventually,
  launchChromium,
  screenshot,
  type PageProblems,
} from '../support/consoleBrowser';
import { startExternalPrescriptions } from '../support/externalPrescriptions';
import { postUntilAccepted, type PlacedOrder } from '../support/orderClient';
import { kill, startProcess, waitReady, type ServiceProcess } from '../support/serviceProcesses';

/**
 * The console in a real browser (Debian's Chromium through playwright-core), against the service
 * started as a user starts it (`npm start`'s src/main.ts, SQLite in a temporary data directory),
 * with the prescriptions participant an external service of the test's own (PRESCRIPTIONS_URL), so
 * that a prescription can be refused and a compensation can fail for good. Orders that complete,
 * fail at each step and wait in MANUAL_REVIEW are each found by their order id; the timeline and
 * the path drawn on the state machine are checked against the API's events; the manual-review saga
 * is resolved by clicking; a client token sees and cannot act. Each view is saved as a screenshot.
 */
jest.setTimeout(240_000);

const tokens = { client: 'console-client-token-0123456789', operator: 'console-operator-token-0123456789' };
const stock = { sku: 'CONSOLE-A', onHand: 40 };

type Kind = 'happy' | 'prescriptionFails' | 'inventoryFails' | 'shipmentFails' | 'compensationFails' | 'laterReview';
const expectations: Record<Kind, { state: string; failedStep: string | null; failureCode: string | null }> = {
  happy: { state: 'COMPLETED', failedStep: null, failureCode: null },
  prescriptionFails: { state: 'CANCELLED', failedStep: 'CreatePrescription', failureCode: 'PRESCRIBER_REQUIRED' },
  inventoryFails: { state: 'CANCELLED', failedStep: 'ReserveInventory', failureCode: 'UNKNOWN_SKU' },
  shipmentFails: { state: 'CANCELLED', failedStep: 'InitiateShipment', failureCode: 'UNSUPPORTED_DESTINATION' },
  compensationFails: { state: 'MANUAL_REVIEW', failedStep: 'ReserveInventory', failureCode: 'UNKNOWN_SKU' },
  // Placed after compensationFails: the manual-review list shows it second.
  laterReview: { state: 'MANUAL_REVIEW', failedStep: 'ReserveInventory', failureCode: 'UNKNOWN_SKU' },
};
const kinds = Object.keys(expectations) as Kind[];

type ApiEvent = { position: number; type: string; data: { from?: string | null; to?: string } };

let external: Awaited<ReturnType<typeof startExternalPrescriptions>>;
let service: ServiceProcess;
let baseUrl: string;
let dataDir: string;
let browser: Browser;
const orders = {} as Record<Kind, PlacedOrder>;

async function api<T>(method: string, path: string, body?: unknown, token = tokens.operator): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

async function sagaEndingIn(sagaId: string, states: readonly string[]): Promise<{ state: string }> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const saga = await api<{ state: string }>('GET', `/sagas/${sagaId}`);
    if (states.includes(saga.state)) return saga;
    if (Date.now() > deadline) throw new Error(`saga ${sagaId} is still ${saga.state}, not ${states.join(' or ')}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function orderBody(kind: Kind) {
  return JSON.stringify({
    patientId: `console-${kind}`,
    prescriberId: 'dr-1',
    medications: [
      {
        sku: ['inventoryFails', 'compensationFails', 'laterReview'].includes(kind) ? 'CONSOLE-NOPE' : stock.sku,
        quantity: 2,
      },
    ],
    shippingAddress: {
      line1: '1 Main St',
      city: 'Springfield',
      postalCode: '12345',
      country: kind === 'shipmentFails' ? 'JP' : 'US',
    },
  });
}

beforeAll(async () => {
  external = await startExternalPrescriptions();
  external.fault('console-prescriptionFails', 'rejects');
  external.fault('console-compensationFails', 'cancelFails');
  external.fault('console-laterReview', 'cancelFails');
  dataDir = mkdtempSync(join(tmpdir(), 'console-e2e-'));
  // The service's log goes beside the screenshots: the compensation that fails on purpose logs errors.
  mkdirSync(artifactsFolder, { recursive: true });
  rmSync(join(artifactsFolder, 'service.log'), { force: true });
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  service = startProcess(
    'start',
    {
      PORT: String(port),
      DATA_DIR: dataDir,
      DATABASE_URL: `sqlite:${join(dataDir, 'fulfillment.sqlite')}`,
      API_TOKENS: `client:${tokens.client},operator:${tokens.operator}`,
      PRESCRIPTIONS_URL: external.url,
      PARTICIPANT_TIMEOUT_MS: '1000',
      PARTICIPANT_BREAKER_FAILURES: '1000',
      JOB_ATTEMPTS: '2',
      JOB_BACKOFF_MS: '20',
    },
    { logFile: join(artifactsFolder, 'service.log') },
  );
  await service.started;
  await waitReady(baseUrl);
  await api('PUT', `/inventory/${stock.sku}`, {
    name: 'Console test tablets',
    controlled: false,
    onHand: stock.onHand,
  });
  for (const kind of kinds) orders[kind] = await postUntilAccepted(baseUrl, tokens.client, orderBody(kind));
  await Promise.all(kinds.map((kind) => sagaEndingIn(orders[kind].sagaId, [expectations[kind].state])));
  browser = await launchChromium();
  console.log(`console screenshots and the service's log: ${artifactsFolder}`);
});

afterAll(async () => {
  await browser?.close();
  if (service) await kill(service, 'SIGTERM');
  await external?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function signIn(page: Page, token: string) {
  await page.goto(`${baseUrl}/console/`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('role').waitFor();
}

/** Finds a saga the way an operator does: the order id typed into the search, Enter. */
async function openByOrderId(page: Page, orderId: string) {
  await page.goto(`${baseUrl}/console/#/sagas`);
  const search = page.getByLabel('Saga id or order id');
  await search.focus();
  await page.keyboard.type(orderId);
  await page.keyboard.press('Enter');
  await page.getByTestId('order-id').filter({ hasText: orderId }).waitFor();
}

describe('the console, in Chromium, as an operator', () => {
  let page: Page;
  let problems: PageProblems;

  beforeAll(async () => {
    ({ page, problems } = await consolePage(browser));
    await signIn(page, tokens.operator);
  });

  afterEach(() => expect(problems).toEqual([]));

  it('keeps the token out of URLs and cookies, and out of every request but its Authorization header', async () => {
    const urls: string[] = [];
    const authorizations = new Set<string | undefined>();
    const listener = (request: { url(): string; headers(): Record<string, string> }) => {
      urls.push(request.url());
      // The page's own files and /readyz (public) go without one; every API call carries it.
      if (!/\/console\/|\/readyz$/.test(request.url())) authorizations.add(request.headers().authorization);
    };
    page.on('request', listener);
    await page.goto(`${baseUrl}/console/#/sagas`);
    await page.getByTestId('saga-list').locator('tbody tr').first().waitFor();
    page.off('request', listener);
    expect(urls.filter((url) => url.includes(tokens.operator))).toEqual([]);
    expect([...authorizations]).toEqual([`Bearer ${tokens.operator}`]);
    expect(await page.context().cookies()).toEqual([]);
    expect(await page.evaluate('Object.keys(localStorage)')).toEqual([]);
  });

  it('is keyboard navigable: Tab reaches the skip button first, then each view in order, and Enter opens it', async () => {
    await page.goto(`${baseUrl}/console/#/`);
    await page.getByTestId('count-COMPLETED').waitFor();
    await page.evaluate('document.activeElement.blur()');
    const focused = () => page.evaluate<string>('document.activeElement.textContent.trim()');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Skip to content');
    const views = ['Overview', 'Sagas', 'Manual review', 'Dead letters', 'Inventory'];
    const reached: string[] = [];
    for (const _view of views) {
      await page.keyboard.press('Tab');
      reached.push(await focused());
    }
    expect(reached).toEqual(views);
    await page.keyboard.press('Enter'); // on Inventory
    await page.waitForURL(/#\/inventory$/);
    await page.getByTestId('inventory').waitFor();
  });

  it('shows sagas per state, each count linking to its list, and the throughput chart (overview)', async () => {
    await page.goto(`${baseUrl}/console/#/`);
    const stats = await api<{ counts: Record<string, number> }>('GET', '/sagas/stats');
    for (const state of ['COMPLETED', 'CANCELLED', 'MANUAL_REVIEW']) {
      await eventually(
        () => page.getByTestId(`count-${state}`).innerText(),
        (text) => expect(text.trim()).toBe(String(stats.counts[state])),
      );
    }
    await page.getByTestId('throughput-chart').locator('canvas').first().waitFor();
    await eventually(
      () => page.getByTestId('projection-lag').innerText(),
      (text) => expect(text.trim()).toMatch(/\d+ events/),
    );
    await screenshot(page, 'overview');

    await page.getByTestId('count-CANCELLED').click();
    await page.waitForURL(/#\/sagas\?state=CANCELLED$/);
    const rows = page.getByTestId('saga-list').locator('tbody tr');
    await eventually(
      () => rows.count(),
      (count) => expect(count).toBe(stats.counts.CANCELLED!),
    );
    await screenshot(page, 'sagas');
  });

  it.each(kinds)(
    'finds the %s order by its order id: state, failure, timeline and path as the API has them',
    async (kind) => {
      const { sagaId, orderId } = orders[kind];
      await openByOrderId(page, orderId);
      const expected = expectations[kind];
      await eventually(
        () => page.getByTestId('saga-state').innerText(),
        (text) => expect(text.trim()).toBe(expected.state),
      );
      await eventually(
        () => page.getByTestId('failed-step').innerText(),
        (text) => expect(text.trim()).toBe(expected.failedStep ?? '—'),
      );
      if (expected.failureCode)
        await eventually(
          () => page.getByTestId('failure').innerText(),
          (text) => expect(text).toContain(expected.failureCode),
        );

      // The timeline: every event of the saga and its order, in the API's global order.
      const { events } = await api<{ events: ApiEvent[] }>('GET', `/sagas/${sagaId}/events`);
      const timeline = page.getByTestId('timeline').locator('tbody tr');
      await eventually(
        () => timeline.count(),
        (count) => expect(count).toBe(events.length),
      );
      expect(await timeline.evaluateAll((rows) => rows.map((row) => row.getAttribute('data-type')))).toEqual(
        events.map((event) => event.type),
      );
      const positions = events.map((event) => event.position);
      expect(positions).toEqual([...positions].sort((a, b) => a - b));

      // The path: exactly the transitions of its SagaStateChanged events highlighted, its state current.
      const taken = new Set(
        events
          .filter((event) => event.type === 'SagaStateChanged' && event.data.from && event.data.from !== event.data.to)
          .map((event) => `${event.data.from}->${event.data.to}`),
      );
      const machine = page.getByTestId('state-machine');
      await machine.locator('[data-edge]').first().waitFor({ state: 'attached' });
      const highlighted = await machine
        .locator('[data-taken="true"]')
        .evaluateAll((edges) => edges.map((edge) => edge.getAttribute('data-edge')));
      expect(new Set(highlighted)).toEqual(taken);
      await eventually(
        () => machine.locator('[data-current="true"]').getAttribute('data-state'),
        (state) => expect(state).toBe(expected.state),
      );
      await screenshot(page, `saga-${kind}`);
    },
  );

  it('refreshes the sagas list live by conditional polling: unchanged polls are 304s, a new order appears unasked', async () => {
    const statuses: number[] = [];
    page.on('response', (response) => {
      if (/\/sagas\?/.test(response.url())) statuses.push(response.status());
    });
    await page.goto(`${baseUrl}/console/#/sagas`);
    await page.getByTestId('saga-list').locator('tbody tr').first().waitFor();
    await eventually(
      async () => statuses,
      (seen) => expect(seen).toContain(304),
    );
    await page.evaluate('window.notReloaded = true');
    const placed = await postUntilAccepted(baseUrl, tokens.client, orderBody('happy'));
    await page.locator(`tr[data-order-id="${placed.orderId}"]`).waitFor({ timeout: 15_000 });
    expect(await page.evaluate('window.notReloaded')).toBe(true); // the same page, never reloaded
    await sagaEndingIn(placed.sagaId, ['COMPLETED']);
  });

  it('says what the API answered when an action is refused: on hand below what is reserved is a 409 in words (inventory)', async () => {
    await page.goto(`${baseUrl}/console/#/inventory`);
    const row = page.locator(`tr[data-sku="${stock.sku}"]`);
    const item = await api<{ reserved: number }>('GET', `/inventory/${stock.sku}`);
    expect(item.reserved).toBeGreaterThan(0); // the completed order holds its units
    await row.getByLabel(`On hand for ${stock.sku}`).fill(String(item.reserved - 1));
    await row.getByRole('button', { name: 'Save' }).click();
    await eventually(
      () => row.getByRole('alert').innerText(),
      (text) => expect(text).toContain('cannot go below what open orders have reserved (409)'),
    );
    await screenshot(page, 'inventory');

    await row.getByLabel(`On hand for ${stock.sku}`).fill(String(stock.onHand + 5));
    await row.getByRole('button', { name: 'Save' }).click();
    await eventually(
      () => row.getByTestId('on-hand').innerText(),
      (text) => expect(text.trim()).toBe(String(stock.onHand + 5)),
    );
  });

  it('lists the dead letter of the compensation that failed for good, linked to its saga', async () => {
    await page.goto(`${baseUrl}/console/#/dead-letters`);
    const link = page.getByTestId('dead-letters').locator(`a[href="#/sagas/${orders.compensationFails.sagaId}"]`);
    await link.first().waitFor();
    await screenshot(page, 'dead-letters');
    await link.first().click();
    await eventually(
      () => page.getByTestId('saga-state').innerText(),
      (text) => expect(text.trim()).toBe('MANUAL_REVIEW'),
    );
  });
});

describe('the console with a client token', () => {
  it('shows the saga in review but leaves every action off, and shows the API’s 403 in words', async () => {
    const { context, page, problems } = await consolePage(browser);
    try {
      await signIn(page, tokens.client);
      await eventually(
        () => page.getByTestId('role').innerText(),
        (text) => expect(text.trim()).toBe('client (read only)'),
      );
      await page.goto(`${baseUrl}/console/#/sagas/${orders.compensationFails.sagaId}`);
      await eventually(
        () => page.getByTestId('saga-state').innerText(),
        (text) => expect(text.trim()).toBe('MANUAL_REVIEW'),
      );
      for (const name of ['Cancel the order', 'Retry the compensation', 'Resolve by hand']) {
        await eventually(
          () => page.getByRole('button', { name }).isDisabled(),
          (disabled) => expect(disabled).toBe(true),
        );
      }
      await page.goto(`${baseUrl}/console/#/inventory`);
      await eventually(
        () => page.getByRole('button', { name: 'Save' }).first().isDisabled(),
        (disabled) => expect(disabled).toBe(true),
      );
      await page.goto(`${baseUrl}/console/#/dead-letters`);
      await eventually(
        () => page.getByRole('alert').innerText(),
        (text) => expect(text).toContain('Not allowed with this token (403)'),
      );
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe('the console, resolving the manual-review saga by clicking', () => {
  it('lists it oldest first with its failed compensation, and resolving it with a note ends it CANCELLED with the note', async () => {
    const { context, page, problems } = await consolePage(browser);
    try {
      await signIn(page, tokens.operator);
      await page.goto(`${baseUrl}/console/#/review`);
      const { sagaId } = orders.compensationFails;
      const item = page.locator(`li[data-saga-id="${sagaId}"]`);
      await eventually(
        () => item.getByTestId('failed-compensation').innerText(),
        (text) => expect(text).toContain('CancelPrescription'),
      );
      expect(
        await page
          .getByTestId('review-list')
          .locator('li')
          .evaluateAll((items) => items.map((item) => item.dataset.sagaId)),
      ).toEqual([sagaId, orders.laterReview.sagaId]); // oldest first
      await screenshot(page, 'manual-review');

      await item.getByRole('button', { name: 'Resolve by hand' }).click();
      // The confirmation takes the focus: the note is typed straight away.
      expect(await page.evaluate<string>('document.activeElement.tagName')).toBe('TEXTAREA');
      await page.keyboard.type('prescription voided by phone with the pharmacy');
      await item.getByRole('button', { name: 'Confirm: resolve by hand' }).click();
      await eventually(
        () =>
          page
            .getByTestId('review-list')
            .locator('li')
            .evaluateAll((items) => items.map((item) => item.dataset.sagaId)),
        (listed) => expect(listed).toEqual([orders.laterReview.sagaId]),
      );

      await page.goto(`${baseUrl}/console/#/sagas/${sagaId}`);
      await eventually(
        () => page.getByTestId('saga-state').innerText(),
        (text) => expect(text.trim()).toBe('CANCELLED'),
      );
      await eventually(
        () => page.getByTestId('resolution-note').innerText(),
        (text) => expect(text.trim()).toBe('prescription voided by phone with the pharmacy'),
      );
      await eventually(
        () => page.getByTestId('state-machine').locator('[data-current="true"]').getAttribute('data-state'),
        (state) => expect(state).toBe('CANCELLED'),
      );
      const { events } = await api<{ events: { type: string; data: { note?: string } }[] }>(
        'GET',
        `/sagas/${sagaId}/events`,
      );
      expect(events.find((event) => event.type === 'SagaResolvedManually')?.data.note).toBe(
        'prescription voided by phone with the pharmacy',
      );
      await screenshot(page, 'saga-resolved');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('says the API’s 409 in words when the saga moved on before the operator confirmed', async () => {
    const { context, page, problems } = await consolePage(browser);
    try {
      await signIn(page, tokens.operator);
      const { sagaId } = orders.laterReview;
      await page.goto(`${baseUrl}/console/#/sagas/${sagaId}`);
      await eventually(
        () => page.getByTestId('saga-state').innerText(),
        (text) => expect(text.trim()).toBe('MANUAL_REVIEW'),
      );
      // The page has not seen the change yet: its polls of the saga are answered "not modified".
      await page.route(`${baseUrl}/sagas/${sagaId}**`, (route) =>
        route.request().method() === 'GET' ? route.fulfill({ status: 304 }) : route.continue(),
      );
      await page.getByRole('button', { name: 'Retry the compensation' }).click();
      await api('POST', `/sagas/${sagaId}/resolve`, { note: 'resolved from another console' });
      await sagaEndingIn(sagaId, ['CANCELLED']);

      await page.getByRole('button', { name: 'Confirm: retry the compensation' }).click();
      await eventually(
        () => page.getByRole('alert').innerText(),
        (text) => expect(text).toContain('Not possible in the saga’s current state (409)'),
      );
      // Once the page sees the saga CANCELLED, the answer stays readable and the confirm button is off.
      await page.unroute(`${baseUrl}/sagas/${sagaId}**`);
      await eventually(
        () => page.getByTestId('saga-state').innerText(),
        (text) => expect(text.trim()).toBe('CANCELLED'),
      );
      expect(await page.getByRole('alert').innerText()).toContain('(409)');
      expect(await page.getByRole('button', { name: 'Confirm: retry the compensation' }).isDisabled()).toBe(true);
      await screenshot(page, 'saga-conflict');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('is usable in a narrow window: nothing wider than the window but the drawing and tables, which scroll', async () => {
    const { context, page, problems } = await consolePage(browser, { width: 400, height: 800 });
    try {
      await signIn(page, tokens.operator);
      await page.goto(`${baseUrl}/console/#/sagas/${orders.shipmentFails.sagaId}`);
      await page.getByTestId('timeline').waitFor();
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(400);
      await screenshot(page, 'saga-narrow');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
