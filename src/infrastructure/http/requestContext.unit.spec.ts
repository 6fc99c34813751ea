import express from 'express';
import request from 'supertest';
import { silentLogger, type Logger } from '../../application/ports/logger';
import { createMetrics } from '../observability/metrics';
import { requestContext } from './requestContext';

describe('requestContext', () => {
  function appLogging(lines: object[]) {
    const logger: Logger = { ...silentLogger, debug: (fields) => void lines.push(fields) };
    const metrics = createMetrics({ defaultMetrics: false });
    const app = express();
    app.use(requestContext(metrics, logger));
    app.get('/orders/:orderId', (_req, res) => void res.status(200).json({ ok: true }));
    return { app, metrics };
  }

  it('writes one access line per request at debug level, by route pattern, and times it', async () => {
    const lines: object[] = [];
    const { app, metrics } = appLogging(lines);
    const response = await request(app).get('/orders/o-1?x=1').set('X-Request-Id', 'req-1');
    expect(response.headers['x-request-id']).toBe('req-1');
    expect(lines).toEqual([
      {
        requestId: 'req-1',
        method: 'GET',
        route: '/orders/:orderId',
        path: '/orders/o-1?x=1',
        status: 200,
        ms: expect.any(Number),
      },
    ]);
    const histogram = await metrics.httpRequestDuration.get();
    expect(histogram.values).toContainEqual(
      expect.objectContaining({
        metricName: 'fulfillment_http_request_duration_seconds_count',
        labels: { method: 'GET', route: '/orders/:orderId', status: '200' },
        value: 1,
      }),
    );
  });

  it('replaces an unusable X-Request-Id with a fresh one', async () => {
    const lines: { requestId?: string }[] = [];
    const { app } = appLogging(lines);
    const response = await request(app).get('/nowhere').set('X-Request-Id', 'bad id with spaces');
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines[0]).toMatchObject({ requestId: response.headers['x-request-id'], route: 'unmatched', status: 404 });
  });
});
