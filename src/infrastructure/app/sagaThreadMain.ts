import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../config/config';
import { asLoggerPort, createLogger } from '../observability/logger';
import { createMetrics } from '../observability/metrics';
import { buildService } from './buildService';
import { startReactorRole, startWorkerRole } from './sagaRoles';
import type { MainThreadMessage, SagaThreadMessage } from './sagaThread';

/**
 * The saga thread of `npm start` (sagaThread.ts): the projection, the reactor and the workers, on a
 * service of their own built from the main thread's configuration. Its metrics are only counters
 * and histograms: the gauges (queue depth, projection lag) are the main thread's to read.
 */
const { config } = workerData as { config: Config };
const port = parentPort!;
const post = (message: SagaThreadMessage) => port.postMessage(message);

async function main() {
  const logger = asLoggerPort(createLogger({ level: config.logLevel, format: config.logFormat })).child({
    thread: 'saga',
  });
  const service = buildService(config, { logger, metrics: createMetrics({ defaultMetrics: false }) });
  port.on('message', (message: MainThreadMessage) => {
    if (message.type === 'stop') {
      void service.close().finally(() => port.close());
    } else if (message.type === 'followers') {
      void service.progress.statuses().then((followers) => post({ type: 'followers', id: message.id, followers }));
    } else {
      void service.metrics.registry.getMetricsAsJSON().then((metrics) =>
        // prom-client types `type` as a numeric enum; at run time it is the string ('gauge', …).
        post({ type: 'metrics', id: message.id, metrics: metrics.filter((metric) => `${metric.type}` !== 'gauge') }),
      );
    }
  });
  try {
    service.startProjection();
    startReactorRole(service);
    await startWorkerRole(service);
  } catch (error) {
    await service.close();
    throw error;
  }
  post({ type: 'ready' });
}

main().catch((error: unknown) => {
  post({ type: 'failed', message: (error as Error).message });
  port.close();
});
