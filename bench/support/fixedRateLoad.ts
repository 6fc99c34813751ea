/**
 * POST /orders at a fixed 250 req/s (autocannon overallRate, 20 connections, 15 s) for the
 * latency case (e2eLatency.ts), against any base URL — or at another rate and length (the
 * scale-out bench's fixed load, below saturation) — and the same load against its baseline:
 * the bare express app in this process answering 202 (bareOrdersApp, also bench/http.bench.ts's
 * baseline). Bodies are valid orders spread over the seeded skus.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import express from 'express';
import { orderBody } from './orderLoad';

export type Latency = Readonly<{
  p50: number;
  p90: number;
  p99: number;
  /** The same percentiles over each request's own time, without autocannon's coordinated-omission fill-in. */
  perRequest: string;
  all202: boolean;
  requests: number;
  codes: string;
}>;

/**
 * autocannon's overallRate sends each connection's share of the second back to back at each
 * one-second tick (bursts, not an even spread), and, unless ignoreCoordinatedOmission, records
 * every latency with an "expected interval" of ceil(1 / per-connection rate) = 1 ms, i.e. adds
 * synthetic samples. Its percentiles are what the RESULT lines report; the per-request ones are
 * printed beside them.
 */
export async function fixedRateLoad(
  baseUrl: string,
  token: string,
  { rate = 250, seconds = 15 }: Readonly<{ rate?: number; seconds?: number }> = {},
): Promise<Latency> {
  let index = 0;
  const times: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${baseUrl}/orders`,
        overallRate: rate,
        connections: 20,
        duration: seconds,
        requests: [
          {
            method: 'POST',
            path: '/orders',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            setupRequest: (request) => ({ ...request, body: orderBody(index++) }),
          },
        ],
      },
      (error, result) => (error ? reject(error as Error) : resolve(result)),
    );
    // Emitted as (client, statusCode, bytes, ms); the typings leave out the client.
    instance.on('response', (...args: unknown[]) => void times.push(args[3] as number));
  });
  times.sort((a, b) => a - b);
  const at = (p: number) => (times[Math.max(0, Math.ceil(p * times.length) - 1)] ?? NaN).toFixed(1);
  const codes = result.statusCodeStats ?? {};
  return {
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    perRequest: `p50 ${at(0.5)} p90 ${at(0.9)} p99 ${at(0.99)} ms`,
    all202: Object.keys(codes).every((code) => code === '202') && result.errors === 0 && result.timeouts === 0,
    requests: result.requests.total,
    codes: `${JSON.stringify(Object.fromEntries(Object.entries(codes).map(([code, { count }]) => [code, count])))}, errors ${result.errors}, timeouts ${result.timeouts}`,
  };
}

/** The baseline server: POST /orders parses the JSON body and answers 202, nothing else. */
export function bareOrdersApp(): express.Express {
  const app = express();
  app.post('/orders', express.json(), (_req, res) => void res.status(202).json({ accepted: true }));
  return app;
}

export async function bareExpressLatency(): Promise<Latency> {
  const app = bareOrdersApp();
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  try {
    return await fixedRateLoad(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 'no-token-needed');
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
