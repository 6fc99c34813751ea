import type { Express } from 'express';
import type { FulfillmentMetrics } from '../observability/metrics';
import { NotReadyError } from './httpErrors';
import { sendConditionalJson } from './jsonResponse';

/**
 * Named checks `/readyz` runs; each resolves when its dependency is usable and throws otherwise.
 * A check may resolve with details to show in place of `ok` (say, sagas stopped by the reactor).
 */
export type ReadinessChecks = Readonly<Record<string, () => Promise<void | Readonly<Record<string, unknown>>>>>;

const checkTimeoutMs = 2000;

/**
 * /healthz, /readyz, /metrics and /openapi.json: no token, so probes and scrapers need none.
 * Routes of the app itself rather than a mounted Router: every request that reaches the API
 * would otherwise pass through that router's own dispatch first.
 */
export function addOperationalRoutes(
  app: Express,
  dependencies: Readonly<{ readiness: ReadinessChecks; metrics: FulfillmentMetrics; openApiDocument: object }>,
): void {
  app.get('/healthz', (req, res) => {
    sendConditionalJson(req, res, 200, { status: 'alive' });
  });
  app.get('/readyz', async (req, res) => {
    const results = await Promise.all(
      Object.entries(dependencies.readiness).map(async ([check, run]) => {
        try {
          const details = await withTimeout(run(), checkTimeoutMs, check);
          return { check, ok: true as const, details: details ?? 'ok' };
        } catch (error) {
          return { check, ok: false as const, message: (error as Error).message };
        }
      }),
    );
    const failures = results
      .filter((result) => !result.ok)
      .map(({ check, message }) => ({ check, message: message ?? '' }));
    if (failures.length > 0) throw new NotReadyError(failures);
    sendConditionalJson(req, res, 200, {
      status: 'ready',
      checks: Object.fromEntries(results.map(({ check, details }) => [check, details])),
    });
  });
  app.get('/metrics', async (_req, res) => {
    const { contentType, text } = await dependencies.metrics.exposition();
    res.set('Content-Type', contentType).send(text);
  });
  app.get('/openapi.json', (req, res) => {
    sendConditionalJson(req, res, 200, dependencies.openApiDocument);
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, check: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${check} did not answer within ${ms}ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
