import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * The service as a user meets it: `npm start` (the README's first command) on the embedded
 * default, driven only over HTTP. A happy order and each failing step end where SPEC §2 says, the
 * read model tells it, and stock is back where it was for every cancelled order (SPEC §9.3).
 */
jest.setTimeout(120_000);

const root = join(__dirname, '..');
const tokens = { client: 'client-token-0123456789', operator: 'operator-token-0123456789' };

type Json = Record<string, unknown>;
type Service = Readonly<{ process: ChildProcess; baseUrl: string }>;

let service: Service;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'black-box-'));
  service = await startService({
    PORT: '0',
    DATA_DIR: dataDir,
    DATABASE_URL: `sqlite:${join(dataDir, 'fulfillment.sqlite')}`,
    API_TOKENS: `client:${tokens.client},operator:${tokens.operator}`,
    LOG_LEVEL: 'info',
  });
  await call('PUT', '/inventory/AMOX-500', { name: 'Amoxicillin 500 mg', controlled: false, onHand: 10 }, 'operator');
  await call('PUT', '/inventory/OXYC-5', { name: 'Oxycodone 5 mg', controlled: true, onHand: 10 }, 'operator');
});

afterAll(async () => {
  if (service) await stopService(service);
  rmSync(dataDir, { recursive: true, force: true });
});

const address = { line1: '1 Main St', city: 'Boston', postalCode: '02101', country: 'US' };

describe('the service started with npm start, over HTTP', () => {
  it('completes a happy order and takes exactly its quantities from stock', async () => {
    const { sagaId, orderId } = await placeOrder({ medications: [{ sku: 'AMOX-500', quantity: 3 }] });

    const saga = await sagaEndingIn(sagaId, 'COMPLETED');
    expect(saga).toMatchObject({ orderId, failedStep: null, completedAt: expect.any(String) });
    expect(await available('AMOX-500')).toBe(7);
    const order = await call('GET', `/orders/${orderId}`);
    expect(order.status).toBe(200);
    expect(JSON.stringify(order.body)).toContain('COMPLETED');
    expect((await call('POST', `/orders/${orderId}/cancel`, {})).status).toBe(409);
  });

  it('cancels an order whose prescription is refused, and leaves stock as it was', async () => {
    const { sagaId } = await placeOrder({ medications: [{ sku: 'OXYC-5', quantity: 1 }] });

    const saga = await sagaEndingIn(sagaId, 'CANCELLED');
    expect(saga).toMatchObject({ failedStep: 'CreatePrescription', failureCode: 'PRESCRIBER_REQUIRED' });
    expect(await available('OXYC-5')).toBe(10);
    expect(await compensations(sagaId)).toEqual(['OrderCancelled']);
  });

  it('cancels an order the stock cannot cover, undoing the prescription, then the order', async () => {
    const before = await available('AMOX-500');
    const { sagaId } = await placeOrder({ medications: [{ sku: 'AMOX-500', quantity: 500 }] });

    const saga = await sagaEndingIn(sagaId, 'CANCELLED');
    expect(saga).toMatchObject({ failedStep: 'ReserveInventory', failureCode: 'INSUFFICIENT_STOCK' });
    expect(await available('AMOX-500')).toBe(before);
    expect(await compensations(sagaId)).toEqual(['PrescriptionCancelled', 'OrderCancelled']);
  });

  it('cancels an order that cannot ship, releasing its stock first', async () => {
    const before = await available('AMOX-500');
    const { sagaId } = await placeOrder({
      medications: [{ sku: 'AMOX-500', quantity: 2 }],
      shippingAddress: { ...address, country: 'JP' },
    });

    const saga = await sagaEndingIn(sagaId, 'CANCELLED');
    expect(saga).toMatchObject({ failedStep: 'InitiateShipment', failureCode: 'UNSUPPORTED_DESTINATION' });
    expect(await available('AMOX-500')).toBe(before);
    expect(await compensations(sagaId)).toEqual(['InventoryReleased', 'PrescriptionCancelled', 'OrderCancelled']);
  });

  it('counts what it did in the stats', async () => {
    const stats = await call('GET', '/sagas/stats');
    expect(stats.body).toMatchObject({ counts: { COMPLETED: 1, CANCELLED: 3 } });
  });
});

// Driving the service.

async function placeOrder(overrides: Json): Promise<{ sagaId: string; orderId: string }> {
  const response = await call('POST', '/orders', { patientId: 'patient-1', shippingAddress: address, ...overrides });
  expect(response.status).toBe(202);
  return response.body as { sagaId: string; orderId: string };
}

async function call(method: string, path: string, body?: unknown, role: keyof typeof tokens = 'client') {
  const response = await fetch(`${service.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${tokens[role]}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

async function available(sku: string): Promise<number> {
  const item = await call('GET', `/inventory/${sku}`);
  return item.body.available as number;
}

/** Waits for the read model to show the saga in `state`. */
async function sagaEndingIn(sagaId: string, state: string): Promise<Json> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const saga = await call('GET', `/sagas/${sagaId}`);
    if (saga.body.state === state) return saga.body;
    if (Date.now() > deadline) throw new Error(`saga ${sagaId} is ${String(saga.body.state)}, not ${state}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The compensations' outcome events, in the order they were stored. */
async function compensations(sagaId: string): Promise<string[]> {
  const undone = new Set(['OrderCancelled', 'PrescriptionCancelled', 'InventoryReleased', 'ShipmentCancelled']);
  const { body } = await call('GET', `/sagas/${sagaId}/events`);
  return (body.events as { type: string }[]).map((event) => event.type).filter((type) => undone.has(type));
}

// The process.

/** `npm start`, in its own process group so that stopping it reaches tsx's node process too. */
function startService(env: Record<string, string>): Promise<Service> {
  const child = spawn('npm', ['start', '--silent'], {
    cwd: root,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('npm start did not report its HTTP port within 60 s')), 60_000);
    child.once('exit', (code) => reject(new Error(`npm start exited with ${code} before listening`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = parseLogLine(line);
      if (entry?.msg !== 'HTTP API listening') return;
      clearTimeout(timer);
      resolve({ process: child, baseUrl: `http://127.0.0.1:${String(entry.port)}` });
    });
  });
}

function parseLogLine(line: string): Json | undefined {
  try {
    return JSON.parse(line) as Json;
  } catch {
    return undefined;
  }
}

/** SIGTERM, as an orchestrator sends it: the service drains and exits on its own. */
async function stopService({ process: child }: Service): Promise<void> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  process.kill(-child.pid!, 'SIGTERM');
  await expect(exited).resolves.toBeDefined();
}
