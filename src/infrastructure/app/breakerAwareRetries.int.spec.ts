import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { placeOrder, type PlacedOrder } from '../../application/commands/placeOrder';
import { streamName } from '../../domain/events';
import type { TestDatabaseKind } from '../../testing/testServices';
import { startReactorRole, startWorkerRole } from './sagaRoles';
import { allEvents, startTestService, validOrder, type TestService } from './testing/testService';

/**
 * Issue 8, finding 4: an external participant that fails for a while must not cancel the orders of
 * that while. A real prescriptions service over HTTP (a stand-in written here: the edge is not
 * ours) answers 500 to everything for far longer than a job's tries and their backoff last, all
 * together. Its circuit breaker opens; the jobs that meet the open circuit wait for its trial call
 * instead of spending their tries, so only a handful of calls reach the service, and once it
 * recovers every order completes: none cancelled, no RETRIES_EXHAUSTED.
 */
jest.setTimeout(120_000);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The HTTP prescriptions contract (httpParticipants.ts), idempotent by key, failing on cue. */
async function startPrescriptionsService() {
  const created = new Map<string, string>();
  const state = { failing: false, calls: 0, callsWhileFailing: 0 };
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      state.calls += 1;
      const answer = (status: number, body: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (state.failing) {
        state.callsWhileFailing += 1;
        return answer(500, { error: { code: 'INTERNAL', message: 'down for a while' } });
      }
      const key = String(req.headers['idempotency-key']);
      if (req.url === '/prescriptions') {
        if (!created.has(key)) created.set(key, `rx-${created.size + 1}`);
        return answer(201, { prescriptionId: created.get(key) });
      }
      return answer(200, { prescriptionId: null });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    state,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const settings = {
  attempts: 4,
  backoffMs: 50,
  timeoutMs: 1_000,
  breakerFailures: 3,
  halfOpenMs: 1_000,
  concurrency: 4,
  outageMs: 6_000,
  orders: 24,
};

describe.each<TestDatabaseKind>(['sqlite', 'mysql'])('breaker-aware retries (%s)', (kind) => {
  let prescriptions: Awaited<ReturnType<typeof startPrescriptionsService>>;
  let running: TestService | undefined;

  beforeEach(async () => {
    prescriptions = await startPrescriptionsService();
  });
  afterEach(async () => {
    await running?.dispose();
    running = undefined;
    await prescriptions.close();
  });

  it('holds the orders placed while an external participant fails until its breaker lets a call through, then completes them all', async () => {
    running = await startTestService(kind, {
      PRESCRIPTIONS_URL: prescriptions.url,
      PARTICIPANT_TIMEOUT_MS: String(settings.timeoutMs),
      PARTICIPANT_BREAKER_FAILURES: String(settings.breakerFailures),
      PARTICIPANT_BREAKER_HALF_OPEN_MS: String(settings.halfOpenMs),
      JOB_ATTEMPTS: String(settings.attempts),
      JOB_BACKOFF_MS: String(settings.backoffMs),
    });
    const { service } = running;
    for (const sku of ['AMOX-500-CAP', 'IBU-200-TAB']) {
      await service.participants.catalog.putItem(sku, { name: sku, onHand: 100_000 });
    }
    startReactorRole(service, { idleWaitMs: 50 });
    await startWorkerRole(service, { concurrency: settings.concurrency });
    const origin = { causationId: 'test', actor: 'test' };

    // Every try of a job reaching a failing participant and all the backoff between them (the
    // queue's, and the HTTP client's two retries within a try) would be over in about this long:
    // the outage lasts over three times as long.
    const queueBackoffMs = Array.from({ length: settings.attempts - 1 }, (_, n) => settings.backoffMs * 2 ** n);
    const everyTryMs = queueBackoffMs.reduce((sum, ms) => sum + ms, 0) + settings.attempts * (100 + 200);
    expect(settings.outageMs).toBeGreaterThan(3 * everyTryMs);

    const before = await placeOrder(service.commands, validOrder(), origin);
    await waitUntil(async () => (await sagaStates(service, [before]))[0] === 'COMPLETED', 'a healthy order');

    prescriptions.state.failing = true;
    const placed: PlacedOrder[] = [];
    for (let i = 0; i < settings.orders; i++) {
      placed.push(await placeOrder(service.commands, { ...validOrder(), patientId: `patient-${i}` }, origin));
      await sleep(40);
    }
    await sleep(settings.outageMs - settings.orders * 40);
    // Meanwhile every one of them waits at its first step: none failed, none unwinds.
    expect(new Set(await sagaStates(service, placed))).toEqual(new Set(['PENDING_PRESCRIPTION']));
    prescriptions.state.failing = false;
    const reachedWhileFailing = prescriptions.state.callsWhileFailing;

    await waitUntil(
      async () => (await sagaStates(service, placed)).every((state) => state === 'COMPLETED'),
      'every order of the outage completed',
      30_000,
    );

    // Calls that reached the service while it failed: those in flight when the breaker opened,
    // then one trial per half-open — not a try per order.
    const bound =
      settings.breakerFailures + settings.concurrency + Math.ceil(settings.outageMs / settings.halfOpenMs) + 1;
    expect(reachedWhileFailing).toBeGreaterThanOrEqual(settings.breakerFailures);
    expect(reachedWhileFailing).toBeLessThanOrEqual(bound);
    expect(bound).toBeLessThan(settings.orders);

    const events = await allEvents(service.eventStore);
    const givenUp = events.filter((event) => ['RETRIES_EXHAUSTED', 'STEP_TIMEOUT'].includes(codeOf(event.data)));
    expect(givenUp).toEqual([]);
    expect(events.filter((event) => event.type === 'SagaFailed')).toEqual([]);
    expect(await service.jobQueue.deadLetters()).toEqual([]);

    const deferrals = (await service.metrics.jobDeferrals.get()).values;
    const deferred = deferrals
      .filter((value) => value.labels.reason === 'circuit_open' && value.labels.name === 'CreatePrescription')
      .reduce((sum, value) => sum + value.value, 0);
    expect(deferred).toBeGreaterThanOrEqual(settings.orders - bound);
  });
});

const codeOf = (data: unknown) => String((data as { code?: unknown }).code ?? '');

/** Each saga's state, as its stream last recorded it. */
async function sagaStates(service: TestService['service'], placed: readonly PlacedOrder[]) {
  return Promise.all(
    placed.map(async ({ sagaId }) => {
      const events = await service.eventStore.readStream(streamName.saga(sagaId));
      const change = events.findLast((event) => event.type === 'SagaStateChanged');
      return change?.type === 'SagaStateChanged' ? change.data.to : undefined;
    }),
  );
}

async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}
