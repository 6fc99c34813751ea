import { apiTokensFile, storedApiTokens } from '../app/apiTokens';
import type { Config } from '../config/config';
import type { ApiConnection } from './apiClient';

/**
 * Where the operator verbs find the service, first answer wins: `--url` / `--token`, then
 * FULFILLMENT_URL / FULFILLMENT_TOKEN, then the local service as `npm start` runs it: PORT on
 * 127.0.0.1, with API_TOKENS' operator token or the one it generated into DATA_DIR.
 */
export function resolveApiConnection(
  flags: Readonly<{ url?: string; token?: string }>,
  config: Pick<Config, 'apiClient' | 'port' | 'apiTokens' | 'dataDir'>,
): ApiConnection {
  const url = flags.url ?? config.apiClient.url ?? `http://127.0.0.1:${config.port}`;
  if (!URL.canParse(url) || !/^https?:\/\//.test(url))
    throw new Error(`--url must be an http(s) URL such as http://127.0.0.1:3000, got "${url}"`);
  const token = flags.token ?? config.apiClient.token ?? operatorTokenOf(config);
  if (!token) {
    throw new Error(
      `no operator token: pass --token or set FULFILLMENT_TOKEN (a service started without API_TOKENS keeps ` +
        `its generated tokens in ${apiTokensFile(config.dataDir)}, which does not exist; set DATA_DIR to its data directory)`,
    );
  }
  return { url, token };
}

const operatorTokenOf = (config: Pick<Config, 'apiTokens' | 'dataDir'>): string | undefined =>
  (config.apiTokens ?? storedApiTokens(config.dataDir))?.find((entry) => entry.role === 'operator')?.token;
