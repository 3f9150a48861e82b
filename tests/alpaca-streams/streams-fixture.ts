import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { authenticateApiKey } from '../../application/api-keys/api-keys.ts';
import type { Tick } from '../../application/market/market-data.ts';
import { apiKeySecrets, SqlApiKeyDirectory } from '../../infrastructure/api-keys/api-key-adapters.ts';
import type { FanoutLimits } from '../../infrastructure/fanout/fanout-hub.ts';
import { KafkaTickLog, KafkaTickStream } from '../../infrastructure/market-data/kafka-tick-log.ts';
import { RedisOrderUpdates } from '../../infrastructure/market-data/redis-order-updates.ts';
import { ReferenceMarket, referenceUniverse } from '../../infrastructure/market/reference-universe.ts';
import { createMetricsRegistry } from '../../infrastructure/observability/metrics.ts';
import { PostgresSqlClient } from '../../infrastructure/persistence/postgres-client.ts';
import { startFanout, type RunningFanout } from '../../infrastructure/processes/fanout-process.ts';
import { isolatedTickTopics, TEST_BROKERS } from '../support/kafka-topics.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres-test-database.ts';
import { bearer, startTradingApp, TEST_JWT_SECRET, type TradingApp } from '../support/trading-app.ts';

export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface ApiKeyPair {
  readonly keyId: string;
  readonly secret: string;
}

interface Resources {
  readonly tickLog: KafkaTickLog;
  readonly updates: RedisOrderUpdates;
  readonly redis: Redis;
  readonly pool: PostgresSqlClient;
  readonly topics: ReturnType<typeof isolatedTickTopics>;
}

/**
 * A real fan-out for the Alpaca stream tests: ticks through Kafka (topics of the file's own),
 * order updates from a projector through Redis, API keys from the `api_keys` read model in
 * PostgreSQL (a pool of the fan-out's own, as the `fanout` process has).
 */
export class StreamsFixture {
  private constructor(
    readonly database: TestDatabase,
    readonly trading: TradingApp,
    readonly fanout: RunningFanout,
    private readonly resources: Resources,
  ) {}

  static async start(label: string, limits: Partial<FanoutLimits> = {}): Promise<StreamsFixture> {
    const database = await createTestDatabase(label);
    const topics = isolatedTickTopics(label);
    const redis = new Redis('redis://127.0.0.1:6379');
    // The projector publishes each order event to Redis, as the projector process does.
    const trading = await startTradingApp({ EVENT_STORE: 'postgres', DATABASE_URL: database.appUrl, MARKET_DATA_STORE: 'redis', REDIS_KEY_PREFIX: `test-${label}-${randomUUID().slice(0, 6)}:` });
    const tickLog = await KafkaTickLog.connect(TEST_BROKERS, `test-${label}-ticks`, topics);
    const pool = PostgresSqlClient.connect(database.appUrl, { max: 2, applicationName: 'test-fanout' });
    const updates = new RedisOrderUpdates(redis);
    const logger = pino({ level: 'silent' });
    const fanout = await startFanout(
      { host: '127.0.0.1', port: 0, transport: 'uws', limits },
      {
        stream: await KafkaTickStream.connect(TEST_BROKERS, logger, topics),
        catalog: new ReferenceMarket(referenceUniverse({ generated: 50 })),
        orderUpdates: updates,
        jwtSecret: TEST_JWT_SECRET,
        apiKeys: authenticateApiKey({ directory: new SqlApiKeyDirectory(pool), secrets: apiKeySecrets }),
        logger,
        metrics: createMetricsRegistry(`fanout-${label}`),
      },
    );
    return new StreamsFixture(database, trading, fanout, { tickLog, updates, redis, pool, topics });
  }

  url(path: string): string {
    return `ws://127.0.0.1:${this.fanout.port}${path}`;
  }

  async apiKey(accountId: string): Promise<ApiKeyPair> {
    const created = await this.trading.app.inject({ method: 'POST', url: '/v1/account/api-keys', headers: bearer(accountId), payload: { label: 'stream test' } });
    if (created.statusCode !== 201) throw new Error(`no API key: ${created.body}`);
    // The fan-out knows a key once the read models have it, as a client of the fanout process would wait for its X-Position.
    await this.trading.projector!.waitFor(BigInt(created.headers['x-position'] as string));
    return { keyId: created.json().keyId, secret: created.json().secret };
  }

  publishTicks(ticks: readonly Tick[]): Promise<void> {
    return this.resources.tickLog.publish(ticks);
  }

  /** Account channels the fan-out listens to in Redis. */
  get orderChannels(): number {
    return this.resources.updates.channelCount;
  }

  async stop(): Promise<void> {
    await this.fanout.stop();
    await this.resources.updates.close();
    await this.trading.close();
    await this.resources.tickLog.close();
    await this.resources.pool.close();
    await this.resources.redis.quit();
    await this.resources.topics.remove();
    await this.database.drop();
  }
}
