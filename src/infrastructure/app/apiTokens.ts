import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from '../../application/ports/logger';
import type { ApiToken, Config } from '../config/config';

/**
 * The service never runs open (SPEC §5). With API_TOKENS set, those tokens; without, one token
 * per role generated on first start and kept in `<DATA_DIR>/api-tokens.json` (mode 0600), so
 * they survive restarts. The log names the file, never a token.
 */
export const apiTokensFile = (dataDir: string) => resolve(join(dataDir, 'api-tokens.json'));

export function loadOrCreateApiTokens(
  config: Pick<Config, 'apiTokens' | 'dataDir'>,
  logger: Logger,
): readonly ApiToken[] {
  if (config.apiTokens) return config.apiTokens;
  const file = apiTokensFile(config.dataDir);
  const stored = storedApiTokens(config.dataDir);
  if (stored) {
    logger.info({ file }, 'API_TOKENS is not set: using the generated tokens kept in this file');
    return stored;
  }
  const tokens: ApiToken[] = (['client', 'operator'] as const).map((role) => ({
    role,
    token: randomBytes(24).toString('base64url'),
  }));
  mkdirSync(config.dataDir, { recursive: true });
  writeFileSync(file, `${JSON.stringify(tokens, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  logger.warn({ file }, 'API_TOKENS is not set: generated one token per role; read them from this file');
  return tokens;
}

/**
 * The tokens generated into `<dataDir>/api-tokens.json`, or undefined when the file does not exist
 * (the service has not started with this data directory and without API_TOKENS yet). The operator
 * verbs of the CLI read the operator token from here.
 */
export function storedApiTokens(dataDir: string): readonly ApiToken[] | undefined {
  const file = apiTokensFile(dataDir);
  if (!existsSync(file)) return undefined;
  const stored = JSON.parse(readFileSync(file, 'utf8')) as ApiToken[];
  if (Array.isArray(stored) && stored.length > 0 && stored.every((entry) => entry.role && entry.token?.length >= 16))
    return stored;
  throw new Error(`${file} is not a list of { role, token }: delete it to generate new tokens, or set API_TOKENS`);
}
