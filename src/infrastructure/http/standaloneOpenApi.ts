import { fulfillmentSaga } from '../../domain/saga';
import type { Config } from '../config/config';
import { apiRoutes, type ApiDependencies } from './apiRoutes';
import { buildOpenApiDocument, defaultApiVersion } from './openApi';

/**
 * The /openapi.json a service with this configuration serves, without starting one (no database,
 * no queue): for `fulfillment openapi`, which the OpenAPI lint and client generators read. The
 * document needs the routes' declarations, never their handlers, so the handlers' dependencies
 * are stand-ins that refuse to be used; the saga definition (which GET /saga-definition reads at
 * once) is the real one.
 */
export function standaloneOpenApiDocument(
  config: Pick<Config, 'stepDeadlinesMs' | 'retry'>,
  version: string = defaultApiVersion,
): object {
  const definition = fulfillmentSaga({ stepDeadlinesMs: config.stepDeadlinesMs, retry: config.retry });
  const absent = <T extends object>(what: string): T =>
    new Proxy({} as T, {
      get: (_target, property) => {
        throw new Error(`${what}.${String(property)} is not available while only the OpenAPI document is built`);
      },
    });
  const dependencies: ApiDependencies = {
    commands: { definition, eventStore: absent('eventStore'), clock: absent('clock') },
    queries: { eventStore: absent('eventStore'), readModel: absent('readModel') },
    catalog: absent('catalog'),
    jobQueue: absent('jobQueue'),
  };
  return buildOpenApiDocument(apiRoutes(dependencies), version);
}
