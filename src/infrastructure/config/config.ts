import { z } from 'zod';
import { defaultJobLeaseMs } from '../queue/jobLease';

/**
 * The one place that reads the environment (SPEC §8). Everything else receives a `Config`.
 * An invalid value stops start-up with one message naming the variable and what it expects.
 */

export const defaultShippingCountries = 'US,CA,GB,IE,DE,FR,NL,BE,ES,IT,AT,CH,SE,DK,NO,FI,PL,PT,AU,NZ';

const roles = ['client', 'operator'] as const;
export type Role = (typeof roles)[number];
export type ApiToken = Readonly<{ role: Role; token: string }>;

const integer = (min: number, max: number, fallback: number) =>
  z
    .string()
    .default(String(fallback))
    .transform((text, ctx) => {
      const value = Number(text);
      if (!/^\d+$/.test(text.trim()) || value < min || value > max) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number from ${min} to ${max}` });
        return z.NEVER;
      }
      return value;
    });

/** A period that 0 turns off; otherwise at least `min`, so that a typo cannot make it a busy loop. */
const periodOrOff = (min: number, max: number, fallback: number) =>
  integer(0, max, fallback).refine((value) => value === 0 || value >= min, {
    message: `must be 0 (off) or a whole number from ${min} to ${max}`,
  });

const optionalUrl = (protocols: RegExp, example: string) =>
  z
    .string()
    .optional()
    .transform((text) => (text?.trim() ? text.trim() : undefined))
    .refine((text) => text === undefined || (URL.canParse(text) && protocols.test(text)), {
      message: `must be a URL like ${example}`,
    });

const databaseUrl = z
  .string()
  .default('sqlite:./data/fulfillment.sqlite')
  .refine((text) => /^sqlite:.+/.test(text) || (/^mysql:\/\//.test(text) && URL.canParse(text)), {
    message: 'must be sqlite:<path> or mysql://user:pass@host:3306/db',
  });

const apiTokens = z
  .string()
  .optional()
  .transform((text, ctx): ApiToken[] | undefined => {
    if (!text?.trim()) return undefined;
    const tokens: ApiToken[] = [];
    for (const pair of text.split(',').map((part) => part.trim())) {
      const [role, token] = [pair.slice(0, pair.indexOf(':')), pair.slice(pair.indexOf(':') + 1)];
      if (!pair.includes(':') || !(roles as readonly string[]).includes(role) || token.length < 16) {
        ctx.addIssue({
          code: 'custom',
          message:
            'must be a comma-separated list of role:token with role client or operator and a token of 16+ characters',
        });
        return z.NEVER;
      }
      tokens.push({ role: role as Role, token });
    }
    return tokens;
  });

const countries = z
  .string()
  .default(defaultShippingCountries)
  .transform((text) =>
    text
      .split(',')
      .map((code) => code.trim().toUpperCase())
      .filter(Boolean),
  )
  .refine((codes) => codes.length > 0 && codes.every((code) => /^[A-Z]{2}$/.test(code)), {
    message: 'must be a comma-separated list of ISO 3166-1 alpha-2 codes, e.g. US,CA,GB',
  });

const environmentSchema = z
  .object({
    PORT: integer(0, 65535, 3000),
    DATABASE_URL: databaseUrl,
    DATA_DIR: z.string().min(1).default('./data'),
    EVENT_STORE: z.enum(['sql', 'esdb'], { message: 'must be sql or esdb' }).default('sql'),
    EVENTSTORE_CONNECTION_STRING: optionalUrl(
      /^(esdb|esdb\+discover|kurrentdb|kurrentdb\+discover):\/\//,
      'esdb://localhost:2113?tls=false',
    ),
    REDIS_URL: optionalUrl(/^rediss?:\/\//, 'redis://127.0.0.1:6379'),
    QUEUE_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, - or _')
      .default('fulfillment'),
    API_TOKENS: apiTokens,
    SHIPPING_COUNTRIES: countries,
    PRESCRIPTION_DEADLINE_MS: integer(100, 86_400_000, 30_000),
    INVENTORY_DEADLINE_MS: integer(100, 86_400_000, 30_000),
    SHIPMENT_DEADLINE_MS: integer(100, 86_400_000, 60_000),
    JOB_ATTEMPTS: integer(1, 100, 5),
    JOB_BACKOFF_MS: integer(1, 3_600_000, 200),
    WORKER_CONCURRENCY: integer(1, 1000, 16),
    JOB_LEASE_MS: integer(1_000, 600_000, defaultJobLeaseMs),
    RECONCILE_INTERVAL_MS: periodOrOff(100, 3_600_000, 10_000),
    RECONCILE_IDLE_MS: integer(0, 86_400_000, 10_000),
    SAGA_PARTITIONS: integer(1, 1_024, 16),
    PARTITION_LEASE_MS: integer(300, 600_000, 3_000),
    PRESCRIPTIONS_URL: optionalUrl(/^https?:\/\//, 'http://prescriptions.internal:8080'),
    INVENTORY_URL: optionalUrl(/^https?:\/\//, 'http://inventory.internal:8080'),
    SHIPPING_URL: optionalUrl(/^https?:\/\//, 'http://shipping.internal:8080'),
    PARTICIPANT_TIMEOUT_MS: integer(10, 600_000, 5_000),
    PARTICIPANT_BREAKER_FAILURES: integer(1, 1_000, 5),
    PARTICIPANT_BREAKER_HALF_OPEN_MS: integer(100, 3_600_000, 10_000),
    RATE_LIMIT_PER_MINUTE: integer(1, 10_000_000, 6_000),
    AUTH_FAILURES_PER_MINUTE: integer(1, 100_000, 30),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    LOG_FORMAT: z.enum(['auto', 'json', 'pretty'], { message: 'must be auto, json or pretty' }).default('auto'),
    FULFILLMENT_URL: optionalUrl(/^https?:\/\//, 'http://127.0.0.1:3000'),
    FULFILLMENT_TOKEN: z
      .string()
      .optional()
      .transform((text) => (text?.trim() ? text.trim() : undefined)),
  })
  .superRefine((env, ctx) => {
    if (env.EVENT_STORE === 'esdb' && !env.EVENTSTORE_CONNECTION_STRING) {
      ctx.addIssue({
        code: 'custom',
        path: ['EVENTSTORE_CONNECTION_STRING'],
        message: 'is required when EVENT_STORE=esdb, e.g. esdb://localhost:2113?tls=false',
      });
    }
  });

export type Environment = z.output<typeof environmentSchema>;

export type Config = Readonly<{
  port: number;
  databaseUrl: string;
  dataDir: string;
  eventStore: Readonly<{ kind: 'sql' } | { kind: 'esdb'; connectionString: string }>;
  queue: Readonly<{ kind: 'in-process' } | { kind: 'bullmq'; redisUrl: string; prefix: string }>;
  apiTokens: readonly ApiToken[] | undefined;
  shippingCountries: readonly string[];
  stepDeadlinesMs: Readonly<{ CreatePrescription: number; ReserveInventory: number; InitiateShipment: number }>;
  retry: Readonly<{ attempts: number; backoffMs: number }>;
  workerConcurrency: number;
  /** How long a claimed job stays claimed unrenewed: a dead worker's job runs again soon after. */
  jobLeaseMs: number;
  /**
   * The saga reconciler (reactor role): every `intervalMs` (0: never) it re-drives the sagas that
   * have waited `idleAfterMs` or more for a job the queue no longer holds.
   */
  reconciler: Readonly<{ intervalMs: number; idleAfterMs: number }>;
  /**
   * Saga partitions (src/application/partitions): `count` is fixed for the life of a deployment
   * (recorded by the first process; a copy with another refuses to start); a copy holds each of
   * its partitions by a lease of `leaseMs`, renewed every third of it.
   */
  partitions: Readonly<{ count: number; leaseMs: number }>;
  participants: Readonly<{
    prescriptionsUrl?: string;
    inventoryUrl?: string;
    shippingUrl?: string;
    /** One attempt of an HTTP call. */
    timeoutMs: number;
    /** Consecutive failed attempts that open an external participant's circuit breaker. */
    breakerFailures: number;
    /** How long an open circuit turns calls away before it lets one trial call through. */
    breakerHalfOpenAfterMs: number;
  }>;
  rateLimitPerMinute: number;
  /** Failed authentications one client address may make in a minute before all its requests get 429. */
  authFailuresPerMinute: number;
  logLevel: Environment['LOG_LEVEL'];
  /**
   * pretty: coloured lines for a person at a terminal; json: one JSON object per line, for log
   * collectors. LOG_FORMAT=auto (the default) is pretty when stdout is a terminal, json otherwise.
   */
  logFormat: 'json' | 'pretty';
  /**
   * Where the operator verbs (`fulfillment sagas …`) find a running service, when not given
   * `--url` / `--token`: FULFILLMENT_URL, FULFILLMENT_TOKEN; unset, the local service on PORT with
   * the operator token it generated into DATA_DIR (or API_TOKENS' operator token).
   */
  apiClient: Readonly<{ url?: string; token?: string }>;
}>;

export class ConfigurationError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
    value: string | undefined,
  ) {
    super(`Invalid configuration: ${variable} ${reason}${value === undefined ? '' : ` (got "${value}")`}`);
    this.name = 'ConfigurationError';
  }
}

export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  stdoutIsTerminal: boolean = process.stdout.isTTY === true,
): Config {
  const result = environmentSchema.safeParse(env);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const variable = String(issue.path[0] ?? 'environment');
    throw new ConfigurationError(variable, issue.message, env[variable]);
  }
  const e = result.data;
  return {
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    eventStore:
      e.EVENT_STORE === 'esdb' ? { kind: 'esdb', connectionString: e.EVENTSTORE_CONNECTION_STRING! } : { kind: 'sql' },
    queue: e.REDIS_URL ? { kind: 'bullmq', redisUrl: e.REDIS_URL, prefix: e.QUEUE_PREFIX } : { kind: 'in-process' },
    apiTokens: e.API_TOKENS,
    shippingCountries: e.SHIPPING_COUNTRIES,
    stepDeadlinesMs: {
      CreatePrescription: e.PRESCRIPTION_DEADLINE_MS,
      ReserveInventory: e.INVENTORY_DEADLINE_MS,
      InitiateShipment: e.SHIPMENT_DEADLINE_MS,
    },
    retry: { attempts: e.JOB_ATTEMPTS, backoffMs: e.JOB_BACKOFF_MS },
    workerConcurrency: e.WORKER_CONCURRENCY,
    jobLeaseMs: e.JOB_LEASE_MS,
    reconciler: { intervalMs: e.RECONCILE_INTERVAL_MS, idleAfterMs: e.RECONCILE_IDLE_MS },
    partitions: { count: e.SAGA_PARTITIONS, leaseMs: e.PARTITION_LEASE_MS },
    participants: {
      prescriptionsUrl: e.PRESCRIPTIONS_URL,
      inventoryUrl: e.INVENTORY_URL,
      shippingUrl: e.SHIPPING_URL,
      timeoutMs: e.PARTICIPANT_TIMEOUT_MS,
      breakerFailures: e.PARTICIPANT_BREAKER_FAILURES,
      breakerHalfOpenAfterMs: e.PARTICIPANT_BREAKER_HALF_OPEN_MS,
    },
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    authFailuresPerMinute: e.AUTH_FAILURES_PER_MINUTE,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT === 'auto' ? (stdoutIsTerminal ? 'pretty' : 'json') : e.LOG_FORMAT,
    apiClient: { url: e.FULFILLMENT_URL, token: e.FULFILLMENT_TOKEN },
  };
}
