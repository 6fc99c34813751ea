import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { streamName } from '../../domain/events';
import { freePort } from '../../testing/freePort';
import {
  allEvents,
  reports,
  sagaDriver,
  startTestService,
  testTokens,
  validOrder,
  type TestService,
} from '../app/testing/testService';

/**
 * `fulfillment sagas …` as an operator runs it: a child process of its own, against a running
 * service over HTTP. What it prints, its exit codes, --json, and the API's errors.
 */
const root = join(__dirname, '..', '..', '..');
const cliArgs = ['--import', 'tsx', 'src/infrastructure/cli/main.ts'];

type Run = Readonly<{ code: number; stdout: string; stderr: string }>;

describe('fulfillment sagas (the operator verbs)', () => {
  let harness: TestService;
  let server: Server;
  let url: string;
  const folders: string[] = [];
  let manual: { sagaId: string; orderId: string };
  let completed: { sagaId: string; orderId: string };

  /** Runs the CLI with only the environment given (no FULFILLMENT_* or DATA_DIR of the caller's). */
  const cli = (args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<Run> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        [...cliArgs, 'sagas', ...args],
        { cwd: root, env: { PATH: process.env.PATH ?? '', DATA_DIR: emptyFolder(), ...env }, timeout: 30_000 },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });
  const asOperator = () => ({ FULFILLMENT_URL: url, FULFILLMENT_TOKEN: testTokens.operator });
  const emptyFolder = () => {
    const folder = mkdtempSync(join(tmpdir(), 'fulfillment-cli-'));
    folders.push(folder);
    return folder;
  };
  const placeOrder = async () => {
    const response = await fetch(`${url}/orders`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${testTokens.client}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(validOrder()),
    });
    expect(response.status).toBe(202);
    return (await response.json()) as { sagaId: string; orderId: string };
  };
  const projection = () => harness.service.startProjection();
  let following: ReturnType<typeof projection>;
  const projected = async () => {
    const head = (await allEvents(harness.service.eventStore)).at(-1)!.position;
    await following.waitForPosition(head, 10_000);
  };

  beforeAll(async () => {
    harness = await startTestService('sqlite');
    following = projection();
    server = await harness.service.serve(await freePort());
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    // One saga in MANUAL_REVIEW (its reservation failed, then CancelPrescription failed for good), one COMPLETED.
    const driver = sagaDriver(harness.service);
    manual = await placeOrder();
    await driver.report(
      reports.prescriptionCreated(manual),
      reports.inventoryReservationFailed(manual),
      reports.compensationFailed(manual, 'CancelPrescription', 0),
    );
    completed = await placeOrder();
    await driver.report(
      reports.prescriptionCreated(completed),
      reports.inventoryReserved(completed),
      reports.shipmentInitiated(completed),
    );
    await projected();
  });
  afterAll(async () => {
    await harness.dispose();
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  });

  it('list prints a table of sagas by scope or state, and the API answer with --json', async () => {
    const failed = await cli(['list', '--scope', 'failed'], asOperator());
    expect(failed).toMatchObject({ code: 0, stderr: '' });
    const [header, ...lines] = failed.stdout.trim().split('\n');
    expect(header).toMatch(/^SAGA\s+ORDER\s+STATE\s+STEP\s+UPDATED\s+FAILURE$/);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(manual.sagaId);
    expect(lines[0]).toContain('MANUAL_REVIEW');
    expect(lines[0]).toContain('INSUFFICIENT_STOCK');

    const json = await cli(['list', '--state', 'COMPLETED', '--json'], asOperator());
    expect(json.code).toBe(0);
    const page = JSON.parse(json.stdout) as { items: { sagaId: string; state: string }[]; nextCursor: string | null };
    expect(page.items.map((item) => [item.sagaId, item.state])).toEqual([[completed.sagaId, 'COMPLETED']]);
    expect(page.nextCursor).toBeNull();

    const badState = await cli(['list', '--state', 'DONE'], asOperator());
    expect(badState.code).not.toBe(0);
    expect(badState.stderr).toContain('Allowed choices are PENDING_PRESCRIPTION');
  });

  it('show finds a saga by its order id and prints its status and the timeline of its events', async () => {
    const shown = await cli(['show', manual.orderId], asOperator());
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^saga\s+/m);
    expect(shown.stdout).toMatch(new RegExp(`^saga\\s+${manual.sagaId}$`, 'm'));
    expect(shown.stdout).toMatch(/^state\s+MANUAL_REVIEW$/m);
    expect(shown.stdout).toMatch(/^failed compensation\s+CancelPrescription$/m);
    const timeline = shown.stdout.slice(shown.stdout.indexOf('POSITION'));
    const types = timeline
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(/\s+/)[4]);
    const stored = (await allEvents(harness.service.eventStore)).filter(
      (event) => (event.data as { sagaId?: string }).sagaId === manual.sagaId,
    );
    expect(types).toEqual(stored.map((event) => event.type));
    expect(timeline).toContain('PENDING_PRESCRIPTION → PENDING_INVENTORY_RESERVATION');
    expect(timeline).toMatch(/SagaCompensationFailed\s+CancelPrescription participant down/);

    const json = await cli(['show', manual.sagaId, '--json'], asOperator());
    const body = JSON.parse(json.stdout) as { saga: { orderId: string }; events: { type: string }[] };
    expect(body.saga.orderId).toBe(manual.orderId);
    expect(body.events.map((event) => event.type)).toEqual(stored.map((event) => event.type));
  });

  it("exits non-zero with the API's message and code: an unknown id, a saga not in review, a client token", async () => {
    const unknown = await cli(['show', '00000000-0000-4000-8000-000000000000'], asOperator());
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('NOT_FOUND, HTTP 404');

    const notInReview = await cli(['retry', completed.sagaId], asOperator());
    expect(notInReview.code).toBe(1);
    expect(notInReview.stdout).toBe('');
    expect(notInReview.stderr).toMatch(/COMPLETED.*\(SAGA_STATE_CONFLICT, HTTP 409\)/);

    const asClient = await cli(['resolve', manual.sagaId, '--note', 'x'], {
      FULFILLMENT_URL: url,
      FULFILLMENT_TOKEN: testTokens.client,
    });
    expect(asClient.code).toBe(1);
    expect(asClient.stderr).toContain('(FORBIDDEN, HTTP 403)');

    const unreachable = await cli(['list'], {
      FULFILLMENT_URL: 'http://127.0.0.1:1',
      FULFILLMENT_TOKEN: 'x'.repeat(20),
    });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain('cannot reach the service at http://127.0.0.1:1');

    const noNote = await cli(['resolve', manual.sagaId], asOperator());
    expect(noNote.code).not.toBe(0);
    expect(noNote.stderr).toContain("required option '--note <note>' not specified");
  });

  it('defaults to the local service on PORT and the operator token generated into DATA_DIR, and says what to do without one', async () => {
    const dataDir = emptyFolder();
    const port = new URL(url).port;
    const missing = await cli(['list'], { PORT: port, DATA_DIR: dataDir });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`no operator token: pass --token or set FULFILLMENT_TOKEN`);
    expect(missing.stderr).toContain(join(dataDir, 'api-tokens.json'));

    writeFileSync(
      join(dataDir, 'api-tokens.json'),
      JSON.stringify([
        { role: 'client', token: testTokens.client },
        { role: 'operator', token: testTokens.operator },
      ]),
    );
    const listed = await cli(['list', '--json'], { PORT: port, DATA_DIR: dataDir });
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).items.length).toBeGreaterThanOrEqual(2);
    // --url and --token win over the environment.
    const flags = await cli(['list', '--url', url, '--token', testTokens.operator], {
      FULFILLMENT_URL: 'http://127.0.0.1:1',
      FULFILLMENT_TOKEN: 'wrong-token-0123456789',
    });
    expect(flags.code).toBe(0);
  });

  it('retry and resolve act on a saga in MANUAL_REVIEW', async () => {
    const retried = await cli(['retry', manual.sagaId, '--json'], asOperator());
    expect(retried.code).toBe(0);
    expect(JSON.parse(retried.stdout)).toMatchObject({ sagaId: manual.sagaId, compensation: 'CancelPrescription' });
    // The reactor retries (round 1) and CancelPrescription fails again: back to MANUAL_REVIEW.
    await sagaDriver(harness.service).report(reports.compensationFailed(manual, 'CancelPrescription', 1));

    const resolved = await cli(['resolve', manual.sagaId, '--note', 'refunded by phone'], asOperator());
    expect(resolved).toMatchObject({ code: 0, stderr: '' });
    expect(resolved.stdout).toContain(`saga ${manual.sagaId} ends CANCELLED`);
    const last = (await harness.service.eventStore.readStream(streamName.saga(manual.sagaId))).at(-1);
    expect(last).toMatchObject({ type: 'SagaResolvedManually', data: { note: 'refunded by phone' } });
  });

  it('tail prints sagas as they change, from the moment it starts', async () => {
    const child = spawn(process.execPath, [...cliArgs, 'sagas', 'tail', '--interval', '100', '--json'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', DATA_DIR: emptyFolder(), ...asOperator() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const stderr = createInterface({ input: child.stderr! });
      const stdout = createInterface({ input: child.stdout! });
      const lines: { sagaId: string; state: string }[] = [];
      stdout.on('line', (line) => lines.push(JSON.parse(line) as { sagaId: string; state: string }));
      await new Promise<void>((resolve) =>
        stderr.on('line', (line) => {
          if (line.includes('from now on')) resolve();
        }),
      );
      // Its first poll takes the cursor of now: give it that long before anything changes.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const placed = await placeOrder();
      await sagaDriver(harness.service).report(reports.prescriptionCreated(placed));
      await projected();
      const deadline = Date.now() + 10_000;
      while (!lines.some((line) => line.sagaId === placed.sagaId && line.state === 'PENDING_INVENTORY_RESERVATION')) {
        if (Date.now() > deadline) throw new Error(`tail printed ${JSON.stringify(lines)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // Changes from before it started are not replayed.
      expect(lines.map((line) => line.sagaId)).not.toContain(completed.sagaId);
      // Each line is the saga's status at the time: the new saga's first state came before its second.
      const states = lines.filter((line) => line.sagaId === placed.sagaId).map((line) => line.state);
      expect(states.at(-1)).toBe('PENDING_INVENTORY_RESERVATION');
    } finally {
      child.kill('SIGINT');
    }
  });
});
