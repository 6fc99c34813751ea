import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { orderSkus } from '../support/orderKinds';

/**
 * An external prescriptions service speaking the HTTP participant protocol
 * (src/infrastructure/participants/http/httpParticipants.ts), with faults on cue: the edge the
 * chaos suite does not own, so the one it imitates. Like a real participant it keeps a ledger per
 * saga and is idempotent: a repeated forward call is answered as the first one was and creates
 * nothing; a cancel undoes the prescription once, or leaves a tombstone when it came first (a
 * forward call after it answers 409 ALREADY_COMPENSATED). It rejects an order of a controlled
 * medication without a prescriber, as the built-in module does.
 *
 * Faults, applied to every call (forward and cancel) while set:
 * - `slow`: answers after `slowMs`, within the service's per-call timeout;
 * - `errorAfterActing`: does the work, then answers 500 to one call in three;
 * - `dropAfterActing`: does the work, then destroys the connection of one call in three;
 * - `down`: answers 503 to every call without doing anything.
 */
export type PrescriptionsFault = 'none' | 'slow' | 'errorAfterActing' | 'dropAfterActing' | 'down';

export type FlakyPrescriptions = Readonly<{
  url: string;
  setFault(fault: PrescriptionsFault): void;
  /** Whether the saga's prescription is in force now: created and not cancelled. */
  inForce(sagaId: string): boolean;
  /** Calls that reached the service, and how many of them it answered with a fault. */
  calls(): Readonly<{ received: number; faulted: number }>;
  close(): Promise<void>;
}>;

type Entry =
  { status: 'created' | 'cancelled'; prescriptionId: string } | { status: 'rejected' } | { status: 'tombstone' };

const controlledSkus = new Set<string>([orderSkus.controlled]);

export async function startFlakyPrescriptions(slowMs: number): Promise<FlakyPrescriptions> {
  const ledger = new Map<string, Entry>();
  const state = { fault: 'none' as PrescriptionsFault, received: 0, faulted: 0 };

  const create = (request: StepRequestBody): Answer => {
    const entry = ledger.get(request.sagaId);
    if (entry?.status === 'tombstone') return [409, { error: { code: 'ALREADY_COMPENSATED', message: 'cancelled' } }];
    if (entry?.status === 'rejected') return prescriberRequired;
    if (entry) return [200, { prescriptionId: entry.prescriptionId }];
    if (!request.prescriberId && request.medications.some((line) => controlledSkus.has(line.sku))) {
      ledger.set(request.sagaId, { status: 'rejected' });
      return prescriberRequired;
    }
    const prescriptionId = `rx-${request.sagaId}`;
    ledger.set(request.sagaId, { status: 'created', prescriptionId });
    return [200, { prescriptionId }];
  };

  const cancel = (sagaId: string): Answer => {
    const entry = ledger.get(sagaId);
    if (entry?.status === 'created' || entry?.status === 'cancelled') {
      ledger.set(sagaId, { status: 'cancelled', prescriptionId: entry.prescriptionId });
      return [200, { prescriptionId: entry.prescriptionId }];
    }
    if (!entry) ledger.set(sagaId, { status: 'tombstone' });
    return [200, { prescriptionId: null }];
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readJson(req);
    state.received++;
    const { fault } = state;
    if (fault === 'down') return fail(res, 503);
    if (fault === 'slow') await new Promise((resolve) => setTimeout(resolve, slowMs));
    const cancelPath = /^\/prescriptions\/([^/]+)\/cancel$/.exec(req.url ?? '');
    const [status, answer] =
      req.method === 'POST' && req.url === '/prescriptions'
        ? create(body as StepRequestBody)
        : req.method === 'POST' && cancelPath
          ? cancel(decodeURIComponent(cancelPath[1]!))
          : ([404, { error: { code: 'NOT_FOUND', message: `${req.method} ${req.url}` } }] as Answer);
    // The work is done; the answer is lost one time in three.
    const unlucky = state.received % 3 === 0;
    if (fault === 'errorAfterActing' && unlucky) return fail(res, 500);
    if (fault === 'dropAfterActing' && unlucky) {
      state.faulted++;
      return void req.socket.destroy();
    }
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  };
  const fail = (res: ServerResponse, status: number) => {
    state.faulted++;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'UNAVAILABLE', message: 'injected fault' } }));
  };

  const server = createServer((req, res) => void handle(req, res).catch(() => req.socket.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setFault: (fault) => void (state.fault = fault),
    inForce: (sagaId) => ledger.get(sagaId)?.status === 'created',
    calls: () => ({ received: state.received, faulted: state.faulted }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type StepRequestBody = Readonly<{ sagaId: string; prescriberId?: string | null; medications: { sku: string }[] }>;
type Answer = readonly [number, unknown];

const prescriberRequired: Answer = [
  422,
  { error: { code: 'PRESCRIBER_REQUIRED', message: 'a controlled medication needs a prescriber', details: [] } },
];

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
}
