#!/usr/bin/env node
import { randomBytes, randomUUID } from 'node:crypto';
import { Argument, Command, Option } from 'commander';
import { ALL_PROJECTIONS } from '../../projections/all-projections.ts';
import { ConfigError, loadConfig, type Config } from '../config/config.ts';
import { compose, type Composition } from '../composition/container.ts';
import { TOKENS } from '../composition/tokens.ts';
import type { Role } from '../http/authentication.ts';
import { buildApiServer } from '../http/api-server.ts';
import type { ReadinessCheck } from '../http/routes/operations-routes.ts';
import { signToken } from '../http/tokens.ts';
import { PostgresSqlClient } from '../persistence/postgres-client.ts';
import { setUpPostgres } from '../persistence/postgres-setup.ts';
import { closeDraining, startApi } from '../processes/api-process.ts';
import { exitGracefullyOnSignals } from '../processes/graceful-shutdown.ts';
import { startProjector } from '../processes/projector-process.ts';
import { spawnExchangeSimulator, startExchangeSimulator } from '../processes/exchange-sim-process.ts';
import { startWorker } from '../processes/worker-process.ts';
import { startIngestor } from '../processes/ingestor-process.ts';
import { startInProcessCandles, startKafkaCandles } from '../processes/candles-process.ts';
import { KafkaTickLog } from '../market-data/kafka-tick-log.ts';
import { RedisLatestQuotes } from '../market-data/redis-latest-quotes.ts';
import { InProcessTickLog } from '../market-data/in-process-market-data.ts';
import type { LatestQuotes, OrderUpdates } from '../../application/market/market-data.ts';
import { KafkaTickStream, tickTopics } from '../market-data/kafka-tick-log.ts';
import { RedisOrderUpdates } from '../market-data/redis-order-updates.ts';
import type { StreamTickets } from '../../application/market/stream-tickets.ts';
import { RedisStreamTickets } from '../market-data/stream-tickets.ts';
import { ReferenceMarket, referenceUniverse } from '../market/reference-universe.ts';
import { fanoutSettings, startFanout } from '../processes/fanout-process.ts';
import { Redis } from 'ioredis';
import { createLogger } from '../logging/logger.ts';
import { createMetricsRegistry } from '../observability/metrics.ts';
import { CommandRefusal, rebuildCommand } from './rebuild-command.ts';
import { authenticateApiKey, type ApiKeyAuthenticator } from '../../application/api-keys/api-keys.ts';
import { apiKeySecrets, SqlApiKeyDirectory } from '../api-keys/api-key-adapters.ts';

/** Exit status for a configuration error (sysexits EX_CONFIG). */
const EXIT_CONFIG = 78;
type Defaults = Partial<Record<keyof Config, string>>;

function configOrExit(defaults: Defaults = {}): Config {
  try {
    return loadConfig(process.env, defaults);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`trading-core: ${error.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    throw error;
  }
}

function requireSecret(config: Config): string {
  if (config.JWT_SECRET) return config.JWT_SECRET;
  process.stderr.write('trading-core: configuration error: JWT_SECRET is required\n');
  process.exit(EXIT_CONFIG);
}

async function runApi(): Promise<void> {
  const config = configOrExit();
  const jwtSecret = requireSecret(config);
  const composition = await compose(config, 'api');
  const api = await startApi(composition, { jwtSecret });
  exitGracefullyOnSignals(composition.logger, config.SHUTDOWN_GRACE_MS, async () => {
    await api.stop();
    await composition.close();
  });
}

/** A process without the API (projector, worker): its work plus /healthz, /readyz, /metrics on METRICS_PORT. */
async function runBackground(name: string, start: (composition: Composition) => Promise<{ stop(): Promise<void> }>): Promise<void> {
  const config = configOrExit();
  const composition = await compose(config, name);
  const running = await start(composition);
  const { container, logger } = composition;
  const operations = await buildApiServer({ logger, metrics: container.resolve(TOKENS.Metrics), readiness: container.resolve<ReadinessCheck[]>(TOKENS.ReadinessChecks) });
  await operations.listen({ host: config.HOST, port: config.METRICS_PORT });
  exitGracefullyOnSignals(logger, config.SHUTDOWN_GRACE_MS, async () => {
    await closeDraining(operations);
    await running.stop();
    await composition.close();
  });
}

async function runExchangeSimulator(): Promise<void> {
  const config = configOrExit();
  const logger = createLogger({ level: config.LOG_LEVEL, process: 'exchange-sim' });
  const simulator = await startExchangeSimulator(config, logger, createMetricsRegistry('exchange-sim'));
  exitGracefullyOnSignals(logger, config.SHUTDOWN_GRACE_MS, () => simulator.close());
}

async function runIngestor(): Promise<void> {
  const config = configOrExit();
  const logger = createLogger({ level: config.LOG_LEVEL, process: 'ingestor' });
  const metrics = createMetricsRegistry('ingestor');
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 2 });
  redis.on('error', (error) => logger.warn({ err: error }, 'redis connection problem'));
  const tickLog = await KafkaTickLog.connect(config.KAFKA_BROKERS.split(','), 'trading-core-ingestor', tickTopics(config.KAFKA_TOPIC_PREFIX));
  const ingestor = await startIngestor(config, tickLog, new RedisLatestQuotes(redis, config.REDIS_KEY_PREFIX), logger, metrics);
  const operations = await buildApiServer({ logger, metrics, readiness: [{ name: 'redis', check: async () => (await redis.ping()) === 'PONG' }] });
  await operations.listen({ host: config.HOST, port: config.METRICS_PORT });
  exitGracefullyOnSignals(logger, config.SHUTDOWN_GRACE_MS, async () => {
    await closeDraining(operations);
    await ingestor.stop();
    await tickLog.close();
    await redis.quit();
  });
}

/** The candles consumer: market.ticks into PostgreSQL candles, with /healthz, /readyz, /metrics on METRICS_PORT. */
async function runCandles(): Promise<void> {
  const config = configOrExit();
  const logger = createLogger({ level: config.LOG_LEVEL, process: 'candles' });
  const metrics = createMetricsRegistry('candles');
  const db = PostgresSqlClient.connect(config.DATABASE_URL, { max: 4, applicationName: 'trading-core-candles' });
  const candles = await startKafkaCandles(config, { db, logger, metrics });
  const operations = await buildApiServer({ logger, metrics, readiness: candles.readiness });
  await operations.listen({ host: config.HOST, port: config.METRICS_PORT });
  exitGracefullyOnSignals(logger, config.SHUTDOWN_GRACE_MS, async () => {
    await closeDraining(operations);
    await candles.stop();
    await db.close();
  });
}

async function runFanout(): Promise<void> {
  const config = configOrExit();
  const jwtSecret = requireSecret(config);
  const logger = createLogger({ level: config.LOG_LEVEL, process: 'fanout' });
  const metrics = createMetricsRegistry('fanout');
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 2 });
  redis.on('error', (error) => logger.warn({ err: error }, 'redis connection problem'));
  const orderUpdates = new RedisOrderUpdates(redis);
  const stream = await KafkaTickStream.connect(config.KAFKA_BROKERS.split(','), logger, tickTopics(config.KAFKA_TOPIC_PREFIX));
  const catalog = new ReferenceMarket(referenceUniverse({ seed: config.UNIVERSE_SEED, generated: config.UNIVERSE_SIZE }));
  const tickets = new RedisStreamTickets(redis, config.REDIS_KEY_PREFIX);
  // The Alpaca streams authenticate API key pairs against the `api_keys` read model.
  const readModels = PostgresSqlClient.connect(config.DATABASE_URL, { max: 2, applicationName: 'trading-core-fanout' });
  // One lookup per stream authentication: a key is known here once the read models have it.
  const apiKeys = authenticateApiKey({ directory: new SqlApiKeyDirectory(readModels), secrets: apiKeySecrets });
  const fanout = await startFanout(fanoutSettings(config), { stream, catalog, orderUpdates, tickets, jwtSecret, apiKeys, logger, metrics });
  const operations = await buildApiServer({
    logger,
    metrics,
    readiness: [
      { name: 'redis', check: async () => (await redis.ping()) === 'PONG' },
      { name: 'api_keys', check: () => readModels.query('SELECT 1 FROM api_keys LIMIT 1').then(() => true) },
    ],
  });
  await operations.listen({ host: config.HOST, port: config.METRICS_PORT });
  exitGracefullyOnSignals(logger, config.SHUTDOWN_GRACE_MS, async () => {
    await closeDraining(operations);
    await fanout.stop();
    await orderUpdates.close();
    await redis.quit();
    await readModels.close();
  });
}

/**
 * The embedded mode keeps its candles in memory (PGlite), so it keeps fewer of them, and all but
 * the day candles stop growing within the first 10 minutes: about 35 MB at the simulator's
 * 1,000 ticks/s over 5,000 symbols, 55 MB after a day (docs/adr/0018-embedded-memory-bounds.md).
 */
const EMBEDDED_CANDLE_RETENTION: Defaults = {
  CANDLES_1S_RETENTION_MS: String(5 * 60_000),
  CANDLES_1M_RETENTION_MS: String(10 * 60_000),
  CANDLES_1H_RETENTION_MS: String(24 * 3_600_000),
  CANDLES_PRUNE_EVERY_MS: '10000',
};

async function runEmbedded(): Promise<void> {
  const settings = configOrExit({ EVENT_STORE: 'pglite', PAPER_FUNDING: 'true', RATE_LIMIT_STORE: 'memory', MARKET_DATA_STORE: 'memory', EXCHANGE_PORT: '0', ...EMBEDDED_CANDLE_RETENTION });
  const jwtSecret = settings.JWT_SECRET ?? randomBytes(32).toString('base64url');
  // Its own simulator, wherever it came to listen: never another process's on a port it expected.
  const exchange = await spawnExchangeSimulator(settings, createLogger({ level: settings.LOG_LEVEL, process: 'embedded' }));
  const config: Config = { ...settings, EXCHANGE_URL: exchange.url };
  const composition = await compose(config, 'embedded').catch(async (error: unknown) => {
    await exchange.stop();
    throw error;
  });
  const tickLog = new InProcessTickLog();
  const candles = await startInProcessCandles(composition, tickLog);
  const ingestor = await startIngestor(
    config,
    tickLog,
    composition.container.resolve<LatestQuotes>(TOKENS.LatestQuotes),
    composition.logger,
    composition.container.resolve(TOKENS.Metrics),
  );
  const projector = await startProjector(composition);
  const worker = await startWorker(composition);
  const api = await startApi(composition, { jwtSecret, progress: projector });
  const fanout = await startFanout(fanoutSettings(config), {
    stream: tickLog,
    catalog: composition.container.resolve<ReferenceMarket>(TOKENS.Market),
    orderUpdates: composition.container.resolve<OrderUpdates>(TOKENS.OrderUpdates),
    tickets: composition.container.resolve<StreamTickets>(TOKENS.StreamTickets),
    jwtSecret,
    // The API's authenticator: a key made a moment ago on this process's API is found at once.
    apiKeys: composition.container.resolve<ApiKeyAuthenticator>(TOKENS.ApiKeyAuthenticator),
    logger: composition.logger,
    metrics: composition.container.resolve(TOKENS.Metrics),
  });
  exitGracefullyOnSignals(composition.logger, config.SHUTDOWN_GRACE_MS, async () => {
    const steps: Array<[string, () => Promise<void>]> = [
      ['price socket', () => fanout.stop()],
      ['api', () => api.stop()],
      ['worker', () => worker.stop()],
      ['projector', () => projector.stop()],
      ['ingestor', () => ingestor.stop()],
      ['candles', () => candles.stop()],
      ['exchange simulator', () => exchange.stop()],
      ['stores', () => composition.close()],
    ];
    for (const [name, stop] of steps) {
      await stop();
      composition.logger.info({ component: name }, 'stopped');
    }
  });
  const accountId = randomUUID();
  const token = signToken(jwtSecret, { accountId, role: 'trader', ttlSeconds: 7 * 24 * 3600 });
  process.stdout.write(
    [
      '',
      'trading-core is running in embedded mode (PGlite, in-process; no servers needed).',
      `  web console  ${api.url}/   <- open this in a browser: start a paper account, watch prices, trade`,
      `  API          ${api.url}`,
      `  API docs     ${api.url}/docs`,
      `  price socket ws://${config.HOST}:${fanout.port}/v1/stream`,
      `  Alpaca       ${api.url}/v2 (REST), ws://${config.HOST}:${fanout.port}/stream (trade updates), ws://${config.HOST}:${fanout.port}/v2/iex (stock data); docs/alpaca-compatibility.md`,
      `  health       ${api.url}/healthz   ready ${api.url}/readyz   metrics ${api.url}/metrics`,
      `  event store  ${config.PGLITE_DATA_DIR ? `PGlite in ${config.PGLITE_DATA_DIR}` : 'PGlite in memory (set PGLITE_DATA_DIR to keep it)'}`,
      `  exchange     simulated, child process on ${config.EXCHANGE_URL} (orders fill against its random-walk market; admin routes ${settings.EXCHANGE_ADMIN_TOKEN ? 'take EXCHANGE_ADMIN_TOKEN' : 'locked: set EXCHANGE_ADMIN_TOKEN to use them'})`,
      `  demo account ${accountId} (paper funding on)`,
      '',
      'Try it (README.md has more):',
      `  export TOKEN=${token}`,
      `  curl -s -X POST ${api.url}/v1/account/deposits -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"amountCents":1000000,"idempotencyKey":"first"}'`,
      'Stop with Ctrl-C.',
      '',
    ].join('\n'),
  );
}

async function runRebuild(name: string, options: { keep?: boolean }): Promise<void> {
  const config = configOrExit();
  try {
    await rebuildCommand(config, name, options);
  } catch (error) {
    if (!(error instanceof CommandRefusal)) throw error;
    process.stderr.write(`trading-core: ${error.message}\n`);
    process.exit(error.exitCode);
  }
}

const program = new Command()
  .name('trading-core')
  .description('The trading core: one binary, one sub-command per process (see README.md).')
  .showHelpAfterError();

program.command('embedded').description('everything in one process on PGlite, paper funding on (what `npm start` runs)').action(runEmbedded);
program.command('api').description('the HTTP API (commands, queries, operations); needs JWT_SECRET').action(runApi);
program
  .command('projector')
  .description('folds the event log into the PostgreSQL read models; /metrics on METRICS_PORT')
  .action(() => runBackground('projector', startProjector));
program
  .command('fanout')
  .description('the price socket (uWebSockets.js) and Alpaca\'s streams on STREAM_PORT: every partition of market.ticks to many clients; needs JWT_SECRET, and DATABASE_URL for API keys')
  .action(runFanout);
program.command('ingestor').description('the tick feed into Kafka (market.ticks, market.last) and the latest quotes into Redis').action(runIngestor);
program.command('candles').description('folds market.ticks into 1s/1m/1h/1d candles in PostgreSQL and prunes old 1s candles; /metrics on METRICS_PORT').action(runCandles);
program
  .command('worker')
  .description('routes orders to the exchange, applies its execution feed, reconciles stuck orders')
  .action(() => runBackground('worker', startWorker));
program.command('exchange-sim').description('the simulated exchange on EXCHANGE_HOST:EXCHANGE_PORT (loopback by default): order API, execution and tick feeds; admin routes (faults, pins, ticks) take EXCHANGE_ADMIN_TOKEN').action(runExchangeSimulator);

program
  .command('migrate')
  .description('create the PostgreSQL database, its application role and schema (as DATABASE_ADMIN_URL)')
  .addOption(new Option('--quiet', 'print nothing on success'))
  .action(async (options: { quiet?: boolean }) => {
    const config = configOrExit();
    const result = await setUpPostgres(config.DATABASE_ADMIN_URL, config.DATABASE_URL, config.DATABASE_APP_PASSWORD);
    if (!options.quiet) {
      const applied = result.applied.length ? `applied migrations ${result.applied.join(', ')}` : 'schema already up to date';
      process.stdout.write(`database ${result.database} ready for role ${result.appRole}: ${applied}\n`);
    }
  });

program
  .command('rebuild')
  .description('rebuild a read model from position 0 into a fresh table and swap it in while queries keep answering')
  .addArgument(new Argument('<projection>', 'the read model').choices([...ALL_PROJECTIONS.map((p) => p.name), 'all']))
  .option('--keep', 'leave the rebuilt table beside the live one instead of swapping')
  .action(runRebuild);

program
  .command('token')
  .description('mint a bearer token signed with JWT_SECRET (development and operations)')
  .option('--account <uuid>', 'the account (sub claim); a new one when omitted')
  .addOption(new Option('--role <role>', 'role claim').choices(['trader', 'auditor', 'admin']).default('trader'))
  .option('--ttl <seconds>', 'lifetime in seconds', '3600')
  .action((options: { account?: string; role: Role; ttl: string }) => {
    const config = configOrExit();
    const token = signToken(requireSecret(config), { accountId: options.account ?? randomUUID(), role: options.role, ttlSeconds: Number(options.ttl) });
    process.stdout.write(`${token}\n`);
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`trading-core: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
