import { z } from 'zod';

const port = z.coerce.number().int().min(1).max(65_535);
const postgresUrl = z
  .string()
  .refine((value) => /^postgres(ql)?:\/\/[^/]+\/[^/?]+/.test(value), 'must be a postgres:// URL naming a database');

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Every setting a process reads from its environment. Each process validates the part it
 * needs at start-up and stops with one line naming the variable when it is missing or wrong.
 */
const environmentSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
    HOST: z.string().min(1).default('127.0.0.1'),
    API_PORT: port.default(3000),
    STREAM_PORT: port.default(3001),
    EVENT_STORE: z.enum(['pglite', 'postgres', 'eventstoredb']).default('postgres'),
    DATABASE_URL: postgresUrl.default('postgres://trading_core_app@127.0.0.1:5432/trading_core'),
    DATABASE_ADMIN_URL: postgresUrl.default('postgres://postgres@127.0.0.1:5432/postgres'),
    DATABASE_APP_PASSWORD: z.string().min(1).optional(),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
    EVENTSTORE_URL: z
      .string()
      .refine((value) => /^(esdb|esdb\+discover|kurrentdb|kurrentdb\+discover):\/\//.test(value), 'must be an esdb:// connection string')
      .optional(),
    PGLITE_DATA_DIR: z.string().min(1).optional(),
    REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').default('redis://127.0.0.1:6379'),
    KAFKA_BROKERS: z
      .string()
      .regex(/^[^,:\s]+:\d+(,[^,:\s]+:\d+)*$/, 'must be host:port[,host:port...]')
      .default('127.0.0.1:9092'),
    /** Put before the tick topics' names (`<prefix>market.ticks`): deployments sharing a cluster stay apart. */
    KAFKA_TOPIC_PREFIX: z.string().regex(/^[A-Za-z0-9._-]{0,100}$/, 'letters, digits and ._- only').default(''),
    JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    PAPER_FUNDING: z.stringbool({ truthy: ['true', '1', 'yes'], falsy: ['false', '0', 'no'] }).default(false),
    /** The web console's files; default: web/dist of this checkout or image. */
    WEB_CONSOLE_DIR: z.string().min(1).optional(),
    /** Where browsers reach the price socket (comma-separated ws:// URLs); default: the page's host at STREAM_PORT. */
    STREAM_PUBLIC_URLS: z
      .string()
      .regex(/^wss?:\/\/[^,\s]+(,wss?:\/\/[^,\s]+)*$/, 'must be ws:// or wss:// URLs, comma-separated')
      .optional(),
    /** Paper mode: accounts `POST /v1/paper/accounts` opens per client address per minute. */
    PAPER_ACCOUNTS_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(10),
    RATE_LIMIT_MAX: z.coerce.number().int().min(1).max(1_000_000).default(100),
    RATE_LIMIT_WINDOW_MS: z.coerce.number().int().min(10).max(3_600_000).default(1_000),
    RATE_LIMIT_STORE: z.enum(['memory', 'redis']).default('redis'),
    /** Requests refused at the edge (400, 401, 403, 413, 415) one client address may cause per window before all its requests get 429. */
    RATE_LIMIT_FAILURES_MAX: z.coerce.number().int().min(1).max(1_000_000).default(30),
    RATE_LIMIT_FAILURES_WINDOW_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
    /** Where the latest quotes live: Redis (shared by every process) or this process (embedded). */
    MARKET_DATA_STORE: z.enum(['memory', 'redis']).default('redis'),
    REDIS_KEY_PREFIX: z.string().regex(/^[A-Za-z0-9:_-]{1,64}$/, 'letters, digits and :_- only').default('trading-core:'),
    MARKET_COLLAR_BPS: z.coerce.number().int().min(0).max(5_000).default(500),
    UNIVERSE_SEED: z.coerce.number().int().default(42),
    UNIVERSE_SIZE: z.coerce.number().int().min(0).max(100_000).default(5_000),
    METRICS_PORT: port.default(3002),
    /** Where the worker and the ingestor reach the exchange; default: the simulator's EXCHANGE_PORT on this machine. */
    EXCHANGE_URL: z.url({ protocol: /^https?$/ }).optional(),
    /** The simulator's port; 0 picks a free one (the embedded mode's default: its simulator is its own). */
    EXCHANGE_PORT: z.coerce.number().int().min(0).max(65_535).default(3100),
    /** Where the simulator listens: loopback unless told otherwise (compose sets 0.0.0.0 on its private network). */
    EXCHANGE_HOST: z.string().min(1).default('127.0.0.1'),
    /** The bearer token the simulator's /admin routes take; without it they do not exist. */
    EXCHANGE_ADMIN_TOKEN: z.string().min(32, 'must be at least 32 characters').optional(),
    EXCHANGE_SEED: z.coerce.number().int().default(7),
    EXCHANGE_TICKS_PER_SECOND: z.coerce.number().min(0).max(200_000).default(1_000),
    EXCHANGE_DAY_LENGTH_MS: z.coerce.number().int().min(1).optional(),
    EXCHANGE_FAULTS: z.string().optional(),
    /** Where the simulated exchange journals its orders and reports, to know them after a restart (it forgets them without). */
    EXCHANGE_STATE_DIR: z.string().min(1).optional(),
    RECONCILE_EVERY_MS: z.coerce.number().int().min(50).max(600_000).default(2_000),
    RECONCILE_AFTER_MS: z.coerce.number().int().min(0).max(3_600_000).default(5_000),
    /** Crash drills only: workflow steps after which this process kills itself (comma-separated). */
    CRASH_AT: z.string().optional(),
    EXCHANGE_TIMEOUT_MS: z.coerce.number().int().min(10).max(60_000).default(2_000),
    /** The fan-out tier's transport: uWebSockets.js, or the `ws` package (the benchmark's baseline). */
    FANOUT_TRANSPORT: z.enum(['uws', 'ws']).default('uws'),
    STREAM_CONFLATION_MS: z.coerce.number().int().min(5).max(10_000).default(100),
    STREAM_MAX_SYMBOLS: z.coerce.number().int().min(1).max(10_000).default(200),
    /** Bytes a price socket may buffer before it is conflated to the latest quote per symbol. */
    STREAM_SLOW_BUFFER_BYTES: z.coerce.number().int().min(1_024).max(64 * 1024 * 1024).default(64 * 1024),
    /** Bytes, or milliseconds behind, after which a slow price socket is closed with 4008. */
    STREAM_MAX_BUFFER_BYTES: z.coerce.number().int().min(4_096).max(256 * 1024 * 1024).default(1024 * 1024),
    STREAM_MAX_BEHIND_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
    /** How long the exchange feed may be silent before the ingestor marks its symbols stale. */
    STALE_AFTER_MS: z.coerce.number().int().min(100).max(600_000).default(3_000),
    /** How long one-second candles are kept (the embedded mode keeps fewer: docs/adr/0018-embedded-memory-bounds.md). */
    CANDLES_1S_RETENTION_MS: z.coerce.number().int().min(1_000).max(366 * 86_400_000).default(86_400_000),
    /** How long one-minute and one-hour candles are kept; unset, for good. Day candles are always kept. */
    CANDLES_1M_RETENTION_MS: z.coerce.number().int().min(60_000).max(36_600 * 86_400_000).optional(),
    CANDLES_1H_RETENTION_MS: z.coerce.number().int().min(3_600_000).max(36_600 * 86_400_000).optional(),
    /** How often candles past their retention are pruned. */
    CANDLES_PRUNE_EVERY_MS: z.coerce.number().int().min(100).max(86_400_000).default(60_000),
    /** PGlite only: how often it is vacuumed and checkpointed (it runs no autovacuum and no checkpointer). */
    PGLITE_MAINTENANCE_EVERY_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(30_000),
    SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(120_000).default(10_000),
    /** An account snapshot (for point-in-time audit answers) after every this many account events. */
    ACCOUNT_SNAPSHOT_EVERY: z.coerce.number().int().min(2).max(10_000_000).default(5_000),
  })
  .superRefine((env, context) => {
    if (env.EVENT_STORE === 'eventstoredb' && !env.EVENTSTORE_URL) {
      context.addIssue({ code: 'custom', path: ['EVENTSTORE_URL'], message: 'is required when EVENT_STORE=eventstoredb' });
    }
  })
  .transform((env) => ({ ...env, EXCHANGE_URL: env.EXCHANGE_URL ?? `http://127.0.0.1:${env.EXCHANGE_PORT}` }));

export type Config = z.infer<typeof environmentSchema>;

export class ConfigError extends Error {
  constructor(readonly variable: string, problem: string) {
    super(`configuration error: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

/** Reads the configuration; throws a `ConfigError` naming the first bad variable. */
export function loadConfig(environment: NodeJS.ProcessEnv = process.env, defaults: Partial<Record<keyof Config, string>> = {}): Config {
  const input: Record<string, string | undefined> = { ...defaults };
  for (const [key, value] of Object.entries(environment)) {
    if (value !== undefined && value !== '') input[key] = value;
  }
  const parsed = environmentSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const variable = String(issue.path[0] ?? 'environment');
  const given = input[variable];
  if (given === undefined) throw new ConfigError(variable, issue.code === 'custom' ? issue.message : 'is required');
  const secret = /SECRET|PASSWORD|TOKEN|URL/.test(variable);
  throw new ConfigError(variable, `is invalid: ${issue.message}${secret ? '' : ` (got "${given}")`}`);
}
