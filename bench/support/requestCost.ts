/**
 * Server CPU per request on SQLite, route by route, for measuring and profiling the request path
 * (bench/http.bench.ts reports the POST /orders figure as a RESULT line).
 *
 *   node --import tsx bench/support/requestCost.ts
 *   CASES=post PROFILE_DIR=reports/prof node --import tsx bench/support/requestCost.ts
 *   node --import tsx bench/support/cpuProfileSummary.ts reports/prof/post.cpuprofile
 *
 * CASES: any of bare,post,saga,stats (default all). RATE: offered req/s (default 250; 0 = as
 * fast as 20 connections go). DURATION: seconds per case (default 10). SAGAS: completed sagas in
 * the read model for the GET cases (default 2000). PROFILE_DIR: write `<case>.cpuprofile` there
 * for each case (the measured run only; the profiler itself adds about a fifth to the CPU figure).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { silentLogger } from '../../src/application/ports/logger';
import { buildService } from '../../src/infrastructure/app/buildService';
import { loadConfig } from '../../src/infrastructure/config/config';
import { databaseLocations, migrateAll } from '../../src/infrastructure/database/databases';
import { createMetrics } from '../../src/infrastructure/observability/metrics';
import { rebuildSagasProjection } from '../../src/infrastructure/readModel/projectionRebuild';
import { orderBody, writeCompletedSagas } from './sagaLog';
import { measureServerCpu, type LoadOptions } from './serverCpu';
import { runBench } from './benchMain';

const cases = (process.env.CASES ?? 'bare,post,saga,stats').split(',');
const rate = Number(process.env.RATE ?? 250);
const duration = Number(process.env.DURATION ?? 10);
const sagas = Number(process.env.SAGAS ?? 2000);
const profileDir = process.env.PROFILE_DIR;
const clientToken = 'bench-client-token-0123456789';
const authorization = `Bearer ${clientToken}`;

const load = (path: string, extra: Partial<LoadOptions> = {}): LoadOptions => ({
  path,
  connections: 20,
  duration,
  ...(rate > 0 ? { overallRate: rate } : {}),
  headers: { authorization },
  ...extra,
});
const postOrder = load('/orders', {
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization },
  body: orderBody,
});

const listen = (app: express.Express) =>
  new Promise<Server>((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(server));
  });

async function report(name: string, label: string, server: Server, options: LoadOptions) {
  const profileTo = profileDir ? join(profileDir, `${name}.cpuprofile`) : undefined;
  const figures = await measureServerCpu(server, { ...options, ...(profileTo ? { profileTo } : {}) });
  console.log(
    `${label.padEnd(24)} ${figures.cpuMicrosPerRequest.toFixed(0).padStart(5)} µs CPU/req  ${figures.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${figures.p50} ms  p99 ${figures.p99} ms  non-2xx ${figures.non2xx}  errors ${figures.errors}`,
  );
}

async function main() {
  const folder = mkdtempSync(join(tmpdir(), 'request-cost-'));
  try {
    if (cases.includes('bare')) {
      const app = express();
      app.post('/orders', express.json(), (_req, res) => {
        res.status(202).json({ accepted: true });
      });
      const server = await listen(app);
      await report('bare', 'bare express POST', server, postOrder);
      server.close();
    }
    const config = loadConfig({
      DATABASE_URL: `sqlite:${join(folder, 'cost.sqlite')}`,
      DATA_DIR: folder,
      API_TOKENS: `client:${clientToken}`,
      LOG_LEVEL: 'silent',
      RATE_LIMIT_PER_MINUTE: '10000000',
    });
    await migrateAll(databaseLocations(config.databaseUrl));
    const service = buildService(config, { logger: silentLogger, metrics: createMetrics({ defaultMetrics: false }) });
    try {
      const server = await service.serve(0);
      if (cases.includes('post')) await report('post', 'POST /orders', server, postOrder);
      if (cases.includes('saga') || cases.includes('stats')) {
        await writeCompletedSagas(service.eventStore, sagas);
        await rebuildSagasProjection({
          serviceDb: service.serviceDb,
          eventStore: service.eventStore,
          headPosition: service.headPosition,
        });
        const [sample] = await service.queries.readModel.list({}, { limit: 1 });
        if (cases.includes('saga'))
          await report('saga', 'GET /sagas/:sagaId', server, load(`/sagas/${sample!.sagaId}`));
        if (cases.includes('stats')) await report('stats', `GET /sagas/stats (${sagas})`, server, load('/sagas/stats'));
      }
    } finally {
      await service.close();
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

runBench(async () => {
  await main();
  return 0;
});
