import 'reflect-metadata';
import type { Registry } from 'prom-client';
import { container as rootContainer, instanceCachingFactory, type DependencyContainer } from 'tsyringe';
import { moveFunds } from '../../application/accounts/move-funds.ts';
import type { EventStore } from '../../application/event-store/event-store.ts';
import { cancelOrder } from '../../application/orders/cancel-order.ts';
import { placeOrder } from '../../application/orders/place-order.ts';
import type { ProjectionProgress, ReadModelQueries } from '../../application/read-models/queries.ts';
import { systemClock, type Clock } from '../../application/shared/command-context.ts';
import { CommandHandler } from '../../application/shared/command-handler.ts';
import { ALL_PROJECTIONS } from '../../projections/all-projections.ts';
import type { Config } from '../config/config.ts';
import type { ReadinessCheck } from '../http/routes/operations-routes.ts';
import type { TradingDependencies } from '../http/routes/trading-dependencies.ts';
import { createLogger, type Logger } from '../logging/logger.ts';
import { ReferenceMarket, referenceUniverse } from '../market/reference-universe.ts';
import { InstrumentedEventStore } from '../observability/instrumented-event-store.ts';
import { createMetricsRegistry } from '../observability/metrics.ts';
import type { SqlClient } from '../persistence/sql-client.ts';
import { SqlProjectionProgress } from '../projections/projection-progress.ts';
import { SqlReadModelQueries } from '../read-models/sql-read-model-queries.ts';
import { SqlReadModelSearches } from '../read-models/sql-read-model-searches.ts';
import { cancelAllOrders } from '../../application/orders/cancel-all-orders.ts';
import { closePosition } from '../../application/orders/close-position.ts';
import { SqlExchangeStatus } from '../exchange/sql-exchange-status.ts';
import { openStores } from './open-event-store.ts';
import { Redis } from 'ioredis';
import type { LatestQuotes, OrderUpdates } from '../../application/market/market-data.ts';
import { RedisOrderUpdates } from '../market-data/redis-order-updates.ts';
import type { StreamTickets } from '../../application/market/stream-tickets.ts';
import { InProcessStreamTickets, RedisStreamTickets } from '../market-data/stream-tickets.ts';
import { FallbackQuoteSource } from '../market-data/fallback-quote-source.ts';
import { InProcessLatestQuotes, InProcessOrderUpdates } from '../market-data/in-process-market-data.ts';
import { RedisLatestQuotes } from '../market-data/redis-latest-quotes.ts';
import type { CandleStore } from '../../application/market/candles.ts';
import { SqlCandleStore } from '../market-data/candles/sql-candle-store.ts';
import { auditQueries, type AuditQueries } from '../../application/audit/audit-queries.ts';
import { accountSnapshotter, type AccountSnapshotStore } from '../../application/audit/account-snapshots.ts';
import { SnapshotScheduler } from '../../application/audit/snapshot-scheduler.ts';
import { SqlAccountOrderIndex } from '../audit/sql-account-order-index.ts';
import { SqlAccountSnapshotStore } from '../audit/sql-account-snapshot-store.ts';
import { TOKENS } from './tokens.ts';
import { authenticateApiKey, createApiKey, pendingApiKeys, revokeApiKey, type ApiKeyAuthenticator, type ApiKeyDirectory } from '../../application/api-keys/api-keys.ts';
import { RecentApiKeys } from '../../application/api-keys/recent-api-keys.ts';
import { apiKeySecrets, SqlApiKeyDirectory } from '../api-keys/api-key-adapters.ts';
import { waitForPosition } from '../../application/read-models/caught-up.ts';

/** A process's wired dependencies and the order to release them in. */
export interface Composition {
  readonly container: DependencyContainer;
  readonly logger: Logger;
  /** Registers something to release at shutdown (released newest first). */
  onClose(close: () => Promise<void>): void;
  /** Releases every resource the composition opened, newest first. */
  close(): Promise<void>;
}

/**
 * The composition root: the only place that knows which adapter stands behind each port.
 * Resources that open asynchronously are opened here and registered as values; everything
 * else is registered as a caching factory (esbuild emits no decorator metadata, so nothing is
 * resolved by reflection).
 */
export async function compose(config: Config, processName: string): Promise<Composition> {
  const container = rootContainer.createChildContainer();
  const logger = createLogger({ level: config.LOG_LEVEL, process: processName });
  const metrics = createMetricsRegistry(processName);
  const closers: Array<() => Promise<void>> = [];

  container.register<Config>(TOKENS.Config, { useValue: config });
  container.register<Logger>(TOKENS.Logger, { useValue: logger });
  container.register<Registry>(TOKENS.Metrics, { useValue: metrics });
  container.register<Clock>(TOKENS.Clock, { useValue: systemClock });

  const stores = await openStores(config, logger, metrics);
  closers.push(() => stores.close());
  container.register<EventStore>(TOKENS.EventStore, { useValue: new InstrumentedEventStore(stores.eventStore, metrics) });
  container.register<SqlClient>(TOKENS.ReadModelDb, { useValue: stores.readModels });

  const singleton = <T>(token: symbol, build: (c: DependencyContainer) => T): void => {
    container.register<T>(token, { useFactory: instanceCachingFactory<T>(build) });
  };
  // Crash drills (CRASH_AT): the process dies with SIGKILL right after the named workflow step.
  const crashPoints = new Set((config.CRASH_AT ?? '').split(',').filter(Boolean));
  container.register<(step: string) => void>(TOKENS.OnStep, {
    useValue: (step) => {
      if (!crashPoints.has(step)) return;
      logger.warn({ step }, 'crash drill: killing this process');
      process.kill(process.pid, 'SIGKILL');
    },
  });
  singleton(TOKENS.CommandHandler, (c) => new CommandHandler(c.resolve(TOKENS.EventStore)));
  singleton(TOKENS.Market, () => new ReferenceMarket(referenceUniverse({ seed: config.UNIVERSE_SEED, generated: config.UNIVERSE_SIZE })));
  singleton<Redis>(TOKENS.Redis, () => {
    const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 2 });
    redis.on('error', (error) => logger.warn({ err: error }, 'redis connection problem'));
    closers.push(async () => {
      await redis.quit().catch(() => undefined);
    });
    return redis;
  });
  singleton<LatestQuotes>(TOKENS.LatestQuotes, (c) => (config.MARKET_DATA_STORE === 'redis' ? new RedisLatestQuotes(c.resolve(TOKENS.Redis), config.REDIS_KEY_PREFIX) : new InProcessLatestQuotes()));
  singleton<OrderUpdates>(TOKENS.OrderUpdates, (c) => {
    if (config.MARKET_DATA_STORE !== 'redis') return new InProcessOrderUpdates();
    const updates = new RedisOrderUpdates(c.resolve(TOKENS.Redis));
    closers.push(() => updates.close());
    return updates;
  });
  singleton<StreamTickets>(TOKENS.StreamTickets, (c) =>
    config.MARKET_DATA_STORE === 'redis' ? new RedisStreamTickets(c.resolve(TOKENS.Redis), config.REDIS_KEY_PREFIX) : new InProcessStreamTickets(),
  );
  singleton<SqlExchangeStatus>(TOKENS.ExchangeStatus, (c) => new SqlExchangeStatus(c.resolve(TOKENS.ReadModelDb)));
  singleton<ReadModelQueries>(TOKENS.ReadModelQueries, (c) => new SqlReadModelQueries(c.resolve(TOKENS.ReadModelDb)));
  singleton<CandleStore>(TOKENS.CandleStore, (c) => new SqlCandleStore(c.resolve(TOKENS.ReadModelDb)));
  singleton<ProjectionProgress>(TOKENS.ProjectionProgress, (c) => new SqlProjectionProgress(c.resolve(TOKENS.ReadModelDb), ALL_PROJECTIONS.map((p) => p.name)));
  singleton<AccountSnapshotStore>(TOKENS.AccountSnapshots, (c) => new SqlAccountSnapshotStore(c.resolve(TOKENS.ReadModelDb)));
  singleton<SnapshotScheduler>(TOKENS.SnapshotScheduler, (c) => {
    const catchUp = accountSnapshotter({ store: c.resolve(TOKENS.EventStore), snapshots: c.resolve(TOKENS.AccountSnapshots), every: config.ACCOUNT_SNAPSHOT_EVERY });
    const scheduler = new SnapshotScheduler(catchUp, config.ACCOUNT_SNAPSHOT_EVERY, (error, accountId) => logger.warn({ err: error, accountId }, 'account snapshot not written'));
    closers.push(() => scheduler.stop());
    return scheduler;
  });
  singleton<AuditQueries>(TOKENS.AuditQueries, (c) =>
    auditQueries({
      store: c.resolve(TOKENS.EventStore),
      orderIndex: new SqlAccountOrderIndex(c.resolve(TOKENS.ReadModelDb)),
      snapshots: c.resolve(TOKENS.AccountSnapshots),
      snapshotEvery: config.ACCOUNT_SNAPSHOT_EVERY,
      onSnapshotsMissing: (accountId) => c.resolve<SnapshotScheduler>(TOKENS.SnapshotScheduler).request(accountId),
    }),
  );
  singleton<TradingDependencies>(TOKENS.TradingDependencies, (c) => {
    const commands = c.resolve<CommandHandler>(TOKENS.CommandHandler);
    const market = c.resolve<ReferenceMarket>(TOKENS.Market);
    // Live quotes from the ingestor; a symbol not quoted yet falls back to its reference quote.
    const quotes = new FallbackQuoteSource(c.resolve<LatestQuotes>(TOKENS.LatestQuotes), market);
    const place = placeOrder({ commands, catalog: market, quotes, marketCollarBasisPoints: config.MARKET_COLLAR_BPS, exchange: c.resolve(TOKENS.ExchangeStatus), onStep: c.resolve(TOKENS.OnStep) });
    const cancel = cancelOrder({ commands, onStep: c.resolve(TOKENS.OnStep) });
    const searches = new SqlReadModelSearches(c.resolve(TOKENS.ReadModelDb));
    return {
      moveFunds: moveFunds({ commands }),
      placeOrder: place,
      cancelOrder: cancel,
      logHead: () => c.resolve<EventStore>(TOKENS.EventStore).headPosition(),
      searches,
      cancelAllOrders: cancelAllOrders({ searches, cancel }),
      closePosition: closePosition({ queries: c.resolve(TOKENS.ReadModelQueries), place }),
      queries: c.resolve(TOKENS.ReadModelQueries),
      catalog: market,
      quotes,
      candles: c.resolve<CandleStore>(TOKENS.CandleStore),
      clock: c.resolve(TOKENS.Clock),
      streamTickets: c.resolve(TOKENS.StreamTickets),
      paperFunding: config.PAPER_FUNDING,
      paperAccountsPerMinute: config.PAPER_ACCOUNTS_PER_MINUTE,
      audit: c.resolve<AuditQueries>(TOKENS.AuditQueries),
      apiKeys: {
        create: createApiKey({ commands, secrets: apiKeySecrets, recent: c.resolve(TOKENS.RecentApiKeys) }),
        revoke: revokeApiKey({ commands }),
        directory: c.resolve<ApiKeyDirectory>(TOKENS.ApiKeyDirectory),
        authenticate: c.resolve<ApiKeyAuthenticator>(TOKENS.ApiKeyAuthenticator),
      },
    };
  });
  singleton<ApiKeyDirectory>(TOKENS.ApiKeyDirectory, (c) => new SqlApiKeyDirectory(c.resolve(TOKENS.ReadModelDb)));
  singleton<RecentApiKeys>(TOKENS.RecentApiKeys, () => new RecentApiKeys());
  singleton<ApiKeyAuthenticator>(TOKENS.ApiKeyAuthenticator, (c) => {
    const store = c.resolve<EventStore>(TOKENS.EventStore);
    const progress = c.resolve<ProjectionProgress>(TOKENS.ProjectionProgress);
    const pending = pendingApiKeys({ recent: c.resolve(TOKENS.RecentApiKeys), logHead: () => store.headPosition(), waitFor: (position) => waitForPosition(progress, position, 2_000) });
    return authenticateApiKey({ directory: c.resolve(TOKENS.ApiKeyDirectory), secrets: apiKeySecrets, pending });
  });
  singleton<ReadinessCheck[]>(TOKENS.ReadinessChecks, (c) => [
    { name: 'event_store', check: () => c.resolve<EventStore>(TOKENS.EventStore).ping() },
    { name: 'read_models', check: () => c.resolve<SqlClient>(TOKENS.ReadModelDb).query('SELECT 1').then(() => true) },
  ]);

  return {
    container,
    logger,
    onClose: (close) => closers.push(close),
    async close() {
      for (const close of closers.reverse()) {
        await close().catch((error: unknown) => logger.error({ err: error }, 'closing a resource failed'));
      }
    },
  };
}
