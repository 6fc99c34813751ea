import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An external prescriptions service — an edge we do not own — on a local port, speaking the HTTP
 * participant protocol (src/infrastructure/participants/http/httpParticipants.ts) as a correct
 * service must, with faults on cue per patient:
 * - `failsAfterActing`: it creates the prescription, then answers 500, every time it is asked;
 * - `unreachable`: it answers 503 without acting;
 * - `rejects`: it refuses the prescription as a business rule (422 PRESCRIBER_REQUIRED), as the
 *   built-in module does for a controlled medication without a prescriber;
 * - `cancelFails`: it creates the prescription, then answers 500 to every cancel of it, so the
 *   saga's CancelPrescription fails for good and the saga waits in MANUAL_REVIEW.
 * A cancel of a prescription it never created answers `prescriptionId: null` (nothing undone) and
 * leaves a tombstone: a create for that saga arriving afterwards answers 409 ALREADY_COMPENSATED.
 */
export type ExternalPrescription = { prescriptionId: string; status: 'created' | 'cancelled' };
export type PrescriptionFault = 'failsAfterActing' | 'unreachable' | 'rejects' | 'cancelFails';

export async function startExternalPrescriptions() {
  const prescriptions = new Map<string, ExternalPrescription>();
  const tombstones = new Set<string>();
  const faults = new Map<string, PrescriptionFault>();
  const patientOfSaga = new Map<string, string>();
  const calls: string[] = [];

  const create = (body: { sagaId: string; patientId: string }, res: ServerResponse) => {
    const fault = faults.get(body.patientId);
    patientOfSaga.set(body.sagaId, body.patientId);
    if (fault === 'unreachable') return answer(res, 503, { error: { code: 'UNAVAILABLE', message: 'down' } });
    if (fault === 'rejects') {
      const message = 'a controlled medication needs a prescriber';
      return answer(res, 422, { error: { code: 'PRESCRIBER_REQUIRED', message, details: [] } });
    }
    if (tombstones.has(body.sagaId)) {
      return answer(res, 409, { error: { code: 'ALREADY_COMPENSATED', message: 'cancelled before it arrived' } });
    }
    let prescription = prescriptions.get(body.sagaId);
    if (!prescription) {
      prescription = { prescriptionId: `ext-rx-${prescriptions.size + 1}`, status: 'created' };
      prescriptions.set(body.sagaId, prescription);
    }
    if (fault === 'failsAfterActing') return answer(res, 500, { error: { code: 'INTERNAL', message: 'oops' } });
    return answer(res, 201, { prescriptionId: prescription.prescriptionId });
  };

  const cancel = (sagaId: string, res: ServerResponse) => {
    const patientId = patientOfSaga.get(sagaId);
    if (patientId !== undefined && faults.get(patientId) === 'cancelFails') {
      return answer(res, 500, { error: { code: 'INTERNAL', message: 'the prescription register is locked' } });
    }
    const prescription = prescriptions.get(sagaId);
    if (!prescription) {
      tombstones.add(sagaId);
      return answer(res, 200, { prescriptionId: null });
    }
    prescription.status = 'cancelled';
    return answer(res, 200, { prescriptionId: prescription.prescriptionId });
  };

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const body = JSON.parse((await text(req)) || '{}') as { sagaId: string; patientId: string };
    calls.push(`${req.method} ${req.url}`);
    const cancelled = /^\/prescriptions\/([^/]+)\/cancel$/.exec(req.url ?? '');
    if (req.method === 'POST' && req.url === '/prescriptions') return create(body, res);
    if (req.method === 'POST' && cancelled) return cancel(decodeURIComponent(cancelled[1]!), res);
    return answer(res, 404, { error: { code: 'NOT_FOUND', message: `${req.method} ${req.url}` } });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    prescriptions,
    tombstones,
    calls,
    fault: (patientId: string, fault: PrescriptionFault) => faults.set(patientId, fault),
    heal: (patientId: string) => faults.delete(patientId),
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

function answer(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function text(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
