import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { aStepRequest, compensationOf } from '../testing/stepRequests';
import { createHttpInventory, createHttpPrescriptions, createHttpShipping } from './httpParticipants';
import {
  createParticipantHttpClient,
  ParticipantCircuitOpenError,
  type ParticipantHttpOptions,
} from './participantHttpClient';
import { ParticipantUnavailableError } from '../../../application/ports/participants';

/** A stand-in participant service on 127.0.0.1 that answers as each test scripts it. */
type Received = Readonly<{ method: string; url: string; headers: IncomingHttpHeaders; body: unknown }>;
type Reply = Readonly<{ status: number; body?: unknown }> | 'hang';

let server: Server;
let baseUrl: string;
let received: Received[];
let script: (request: Received, index: number) => Reply;

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      const request = {
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        body: text ? JSON.parse(text) : undefined,
      };
      received.push(request);
      const reply = script(request, received.length - 1);
      if (reply === 'hang') return;
      res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  received = [];
  script = () => ({ status: 500 });
});

const clientFor = (options: Partial<ParticipantHttpOptions> = {}) =>
  createParticipantHttpClient({ participant: 'test', baseUrl, timeoutMs: 200, backoffMs: 5, retries: 2, ...options });
const rejection = (status: number, code: string, message = code, details?: unknown) => ({
  status,
  body: { error: { code, message, details } },
});

describe('HTTP participants: answers', () => {
  it('posts the step request with its idempotency key and reads the success', async () => {
    const request = aStepRequest();
    script = () => ({ status: 201, body: { prescriptionId: 'rx-1' } });

    expect(await createHttpPrescriptions(clientFor()).createPrescription(request)).toEqual({
      outcome: 'succeeded',
      prescriptionId: 'rx-1',
    });
    expect(received).toEqual([
      expect.objectContaining({
        method: 'POST',
        url: '/v1/prescriptions',
        body: JSON.parse(JSON.stringify(request)),
        headers: expect.objectContaining({
          'idempotency-key': `${request.sagaId}-CreatePrescription`,
          'content-type': 'application/json',
        }),
      }),
    ]);
  });

  it('retries 500 twice then succeeds, with the same idempotency key each time', async () => {
    const request = aStepRequest();
    script = (_, index) =>
      index < 2 ? { status: 500 } : { status: 200, body: { shipmentId: 's-1', carrier: 'UPS', trackingNumber: '1Z1' } };

    expect(await createHttpShipping(clientFor()).initiateShipment(request)).toEqual({
      outcome: 'succeeded',
      shipmentId: 's-1',
      carrier: 'UPS',
      trackingNumber: '1Z1',
    });
    expect(received).toHaveLength(3);
    for (const call of received) expect(call.headers['idempotency-key']).toBe(`${request.sagaId}-InitiateShipment`);
  });

  it('gives up after its retries and throws a transient error', async () => {
    script = () => ({ status: 503 });
    await expect(createHttpShipping(clientFor()).initiateShipment(aStepRequest())).rejects.toMatchObject({
      code: 'PARTICIPANT_UNAVAILABLE',
      message: expect.stringContaining('503'),
    });
    expect(received).toHaveLength(3);
  });

  it('times out an attempt that hangs and retries it', async () => {
    script = (_, index) => (index === 0 ? 'hang' : { status: 200, body: { prescriptionId: 'rx-2' } });
    const started = Date.now();

    expect(
      await createHttpPrescriptions(clientFor({ timeoutMs: 150 })).createPrescription(aStepRequest()),
    ).toMatchObject({
      outcome: 'succeeded',
      prescriptionId: 'rx-2',
    });
    expect(received).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('throws a transient error naming the deadline when every attempt hangs', async () => {
    script = () => 'hang';
    await expect(
      createHttpPrescriptions(clientFor({ timeoutMs: 100, retries: 1 })).createPrescription(aStepRequest()),
    ).rejects.toMatchObject({
      code: 'PARTICIPANT_UNAVAILABLE',
      message: expect.stringContaining('within 100 ms'),
    });
    expect(received).toHaveLength(2);
  });

  it('returns a 422 rejection as a value, without retrying', async () => {
    script = () => rejection(422, 'PRESCRIBER_REQUIRED', 'OXYC-5-TAB is controlled: the order needs a prescriberId');
    expect(await createHttpPrescriptions(clientFor()).createPrescription(aStepRequest({ prescriberId: null }))).toEqual(
      {
        outcome: 'rejected',
        code: 'PRESCRIBER_REQUIRED',
        reason: 'OXYC-5-TAB is controlled: the order needs a prescriberId',
      },
    );
    expect(received).toHaveLength(1);
  });

  it('maps INSUFFICIENT_STOCK and UNKNOWN_SKU details', async () => {
    const inventory = createHttpInventory(clientFor());
    script = () => rejection(422, 'INSUFFICIENT_STOCK', 'short', [{ sku: 'A', requested: 3, available: 1 }]);
    expect(await inventory.reserve(aStepRequest())).toEqual({
      outcome: 'rejected',
      code: 'INSUFFICIENT_STOCK',
      reason: 'short',
      shortLines: [{ sku: 'A', requested: 3, available: 1 }],
      unknownSkus: [],
    });
    script = () => rejection(422, 'UNKNOWN_SKU', 'unknown', [{ sku: 'X' }, { sku: 'Y' }]);
    expect(await inventory.reserve(aStepRequest())).toEqual({
      outcome: 'rejected',
      code: 'UNKNOWN_SKU',
      reason: 'unknown',
      shortLines: [],
      unknownSkus: ['X', 'Y'],
    });
    expect(received).toHaveLength(2);
  });

  it('reads 409 ALREADY_COMPENSATED as alreadyCompensated', async () => {
    script = () => rejection(409, 'ALREADY_COMPENSATED');
    expect(await createHttpInventory(clientFor()).reserve(aStepRequest())).toEqual({ outcome: 'alreadyCompensated' });
    expect(received).toHaveLength(1);
  });

  it('calls the compensations on the saga’s resource', async () => {
    const request = aStepRequest({ sagaId: 'saga/1' });
    script = ({ url }) =>
      url.endsWith('/release')
        ? { status: 200, body: { lines: [{ sku: 'A', quantity: 2 }] } }
        : url.startsWith('/v1/prescriptions')
          ? { status: 200, body: { prescriptionId: null } }
          : { status: 200, body: { shipmentId: 's-9' } };

    expect(await createHttpInventory(clientFor()).release(compensationOf(request))).toEqual({
      lines: [{ sku: 'A', quantity: 2 }],
    });
    expect(await createHttpPrescriptions(clientFor()).cancelPrescription(compensationOf(request))).toEqual({
      prescriptionId: null,
    });
    expect(await createHttpShipping(clientFor()).cancelShipment(compensationOf(request))).toEqual({
      shipmentId: 's-9',
    });
    expect(received.map((call) => [call.url, call.headers['idempotency-key'], call.body])).toEqual([
      ['/v1/reservations/saga%2F1/release', 'saga/1-ReleaseInventory', compensationOf(request)],
      ['/v1/prescriptions/saga%2F1/cancel', 'saga/1-CancelPrescription', compensationOf(request)],
      ['/v1/shipments/saga%2F1/cancel', 'saga/1-CancelShipment', compensationOf(request)],
    ]);
  });

  it('throws a protocol error, without retrying, for an answer outside the contract', async () => {
    const prescriptions = createHttpPrescriptions(clientFor());
    script = () => ({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
    await expect(prescriptions.createPrescription(aStepRequest())).rejects.toMatchObject({
      code: 'PARTICIPANT_PROTOCOL_ERROR',
    });
    script = () => ({ status: 200, body: { id: 'no prescriptionId here' } });
    await expect(prescriptions.createPrescription(aStepRequest())).rejects.toMatchObject({
      code: 'PARTICIPANT_PROTOCOL_ERROR',
      message: expect.stringContaining('prescriptionId'),
    });
    script = () => rejection(422, 'UNSUPPORTED_DESTINATION');
    await expect(prescriptions.createPrescription(aStepRequest())).rejects.toMatchObject({
      code: 'PARTICIPANT_PROTOCOL_ERROR',
    });
    expect(received).toHaveLength(3);
  });

  it('throws a transient error when the service cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));

    await expect(
      createHttpShipping(clientFor({ baseUrl: `http://127.0.0.1:${port}` })).initiateShipment(aStepRequest()),
    ).rejects.toMatchObject({ code: 'PARTICIPANT_UNAVAILABLE', message: expect.stringContaining('ECONNREFUSED') });
  });
});

describe('HTTP participants: circuit breaker', () => {
  it('opens after repeated failures, fails fast while open, and recovers', async () => {
    const shipping = createHttpShipping(clientFor({ retries: 0, breakerThreshold: 3, halfOpenAfterMs: 300 }));
    script = () => ({ status: 500 });
    for (let i = 0; i < 3; i++)
      await expect(shipping.initiateShipment(aStepRequest())).rejects.toMatchObject({
        code: 'PARTICIPANT_UNAVAILABLE',
      });
    expect(received).toHaveLength(3);

    await expect(shipping.initiateShipment(aStepRequest())).rejects.toMatchObject({
      code: 'PARTICIPANT_UNAVAILABLE',
      message: expect.stringContaining('circuit is open'),
    });
    expect(received).toHaveLength(3);

    await new Promise((resolve) => setTimeout(resolve, 350));
    script = () => ({ status: 200, body: { shipmentId: 's-1', carrier: 'DHL', trackingNumber: 'DH1' } });
    expect(await shipping.initiateShipment(aStepRequest())).toMatchObject({ outcome: 'succeeded' });
    expect(await shipping.initiateShipment(aStepRequest())).toMatchObject({ outcome: 'succeeded' });
    expect(received).toHaveLength(5);
  });

  it('tells a call the open circuit turned away (not sent) from one that reached the participant, and says when it may half-open', async () => {
    const shipping = createHttpShipping(clientFor({ retries: 0, breakerThreshold: 2, halfOpenAfterMs: 2_000 }));
    script = () => ({ status: 500 });
    for (let i = 0; i < 2; i++) {
      const reached = await shipping.initiateShipment(aStepRequest()).catch((error: unknown) => error);
      expect(reached).toBeInstanceOf(ParticipantUnavailableError);
      expect(reached).not.toBeInstanceOf(ParticipantCircuitOpenError);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    const turnedAway = await shipping.initiateShipment(aStepRequest()).catch((error: unknown) => error);
    expect(turnedAway).toBeInstanceOf(ParticipantCircuitOpenError);
    expect(turnedAway).toMatchObject({
      code: 'PARTICIPANT_UNAVAILABLE',
      participant: 'test',
      step: 'InitiateShipment',
    });
    const { retryAfterMs } = turnedAway as ParticipantCircuitOpenError;
    expect(retryAfterMs).toBeGreaterThan(1_000);
    expect(retryAfterMs).toBeLessThanOrEqual(1_500);
    expect(received).toHaveLength(2);
  });

  it('fails as the participant did when the circuit opens between the retries of one call: that call reached it', async () => {
    const shipping = createHttpShipping(clientFor({ retries: 2, breakerThreshold: 1, halfOpenAfterMs: 5_000 }));
    script = () => ({ status: 503 });
    const error = await shipping.initiateShipment(aStepRequest()).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ParticipantUnavailableError);
    expect(error).not.toBeInstanceOf(ParticipantCircuitOpenError);
    expect((error as Error).message).toContain('answered 503');
    expect(received).toHaveLength(1);
    // The next call is turned away before it is sent.
    await expect(shipping.initiateShipment(aStepRequest())).rejects.toBeInstanceOf(ParticipantCircuitOpenError);
    expect(received).toHaveLength(1);
  });

  it('fails as a timeout when an attempt that hung opened the circuit before the retry', async () => {
    const shipping = createHttpShipping(clientFor({ retries: 2, breakerThreshold: 1, halfOpenAfterMs: 5_000 }));
    script = () => 'hang';
    const error = await shipping.initiateShipment(aStepRequest()).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ParticipantUnavailableError);
    expect(error).not.toBeInstanceOf(ParticipantCircuitOpenError);
    expect((error as Error).message).toContain('gave no answer within 200 ms');
    expect(received).toHaveLength(1);
  });

  it('does not count business rejections as failures', async () => {
    const prescriptions = createHttpPrescriptions(clientFor({ retries: 0, breakerThreshold: 2 }));
    script = () => rejection(422, 'PRESCRIBER_REQUIRED');
    for (let i = 0; i < 4; i++)
      expect(await prescriptions.createPrescription(aStepRequest())).toMatchObject({ outcome: 'rejected' });
    expect(received).toHaveLength(4);
  });
});
