/**
 * Server CPU per POST /orders of two checkouts of this service, side by side with the bare express
 * baseline, taking turns under the same load (see measureInTurns): on a shared machine, runs
 * one after the other differ by more than most changes do.
 *
 *   git archive <commit> src migrations | tar -x -C /tmp/before    (then link its node_modules)
 *   BEFORE=/tmp/before node --import tsx bench/support/compareCheckouts.ts
 *
 * AFTER defaults to this checkout. RATE: offered req/s (default 250; 0 = as fast as 20
 * connections go). DURATION: seconds per server over all its turns (default 30). TURNS (6).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import express from 'express';
import { silentLogger } from '../../src/application/ports/logger';
import { orderBody } from './sagaLog';
import { measureInTurns, type LoadOptions } from './serverCpu';

const clientToken = 'bench-client-token-0123456789';
const rate = Number(process.env.RATE ?? 250);
const load: LoadOptions = {
  path: '/orders',
  method: 'POST',
  connections: 20,
  duration: Number(process.env.DURATION ?? 30),
  ...(rate > 0 ? { overallRate: rate } : {}),
  headers: { 'content-type': 'application/json', authorization: `Bearer ${clientToken}` },
  body: orderBody,
};

type Serving = Readonly<{ server: Server; close(): Promise<void> }>;

/** The service's HTTP API as `serve` runs it, built from the checkout at `root` with its own modules. */
async function serveCheckout(root: string, folder: string): Promise<Serving> {
  /* eslint-disable @typescript-eslint/no-require-imports -- each checkout's own module graph */
  const { loadConfig } = require(join(root, 'src/infrastructure/config/config'));
  const { databaseLocations, migrateAll } = require(join(root, 'src/infrastructure/database/databases'));
  const { buildService } = require(join(root, 'src/infrastructure/app/buildService'));
  const { createMetrics } = require(join(root, 'src/infrastructure/observability/metrics'));
  /* eslint-enable @typescript-eslint/no-require-imports */
  const config = loadConfig({
    DATABASE_URL: `sqlite:${join(folder, 'orders.sqlite')}`,
    DATA_DIR: folder,
    API_TOKENS: `client:${clientToken}`,
    LOG_LEVEL: 'silent',
    RATE_LIMIT_PER_MINUTE: '10000000',
  });
  await migrateAll(databaseLocations(config.databaseUrl));
  const service = buildService(config, { logger: silentLogger, metrics: createMetrics({ defaultMetrics: false }) });
  return { server: await service.serve(0), close: () => service.close() };
}

async function main() {
  const before = process.env.BEFORE;
  if (!before) throw new Error('set BEFORE to the root of the checkout to compare with');
  const folders = [mkdtempSync(join(tmpdir(), 'compare-before-')), mkdtempSync(join(tmpdir(), 'compare-after-'))];
  const bareApp = express();
  bareApp.post('/orders', express.json(), (_req, res) => void res.status(202).json({ accepted: true }));
  const bare = await new Promise<Server>((done) => {
    const server = bareApp.listen(0, '127.0.0.1', () => done(server));
  });
  const services = [
    await serveCheckout(resolve(before), folders[0]!),
    await serveCheckout(resolve(process.env.AFTER ?? join(__dirname, '../..')), folders[1]!),
  ];
  try {
    const figures = await measureInTurns(
      [bare, ...services.map((service) => service.server)],
      load,
      Number(process.env.TURNS ?? 6),
    );
    for (const [index, label] of ['bare express', 'before', 'after'].entries()) {
      const measured = figures[index]!;
      console.log(
        `${label.padEnd(13)} ${measured.cpuMicrosPerRequest.toFixed(0).padStart(5)} µs CPU/req  ${measured.requestsPerSecond.toFixed(0)} req/s  p50 ${measured.p50} ms  p99 ${measured.p99} ms  non-2xx ${measured.non2xx}`,
      );
    }
  } finally {
    bare.close();
    for (const service of services) await service.close();
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
