import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import kafkajs from 'kafkajs';
import { signToken } from '../../infrastructure/http/tokens.ts';
import { dropDatabase, setUpPostgres } from '../../infrastructure/persistence/postgres-setup.ts';
import { startFanoutServer, type FanoutServer } from './fanout-server.ts';
import { processCpuSeconds } from './process-stats.ts';
import { freePort, ServiceProcess } from './service-process.ts';

export interface LocalStackOptions {
  /** Names the run's database, topics and keys. */
  readonly label: string;
  readonly exchange: { readonly ticksPerSecond: number; readonly universeSize?: number };
  readonly ingestor?: boolean;
  /** The order path: projector, worker and api. */
  readonly trading?: boolean;
  readonly fanouts?: number;
  readonly candles?: boolean;
  /** Added to every process's environment. */
  readonly env?: Record<string, string>;
  readonly adminUrl?: string;
  readonly brokers?: string;
  readonly redisUrl?: string;
}

/**
 * The local distributed mode, started for one benchmark run: every component its own process
 * (`trading-core exchange-sim`, `ingestor`, `projector`, `worker`, `api`, `fanout`…, `candles`),
 * on real PostgreSQL, Redis and Kafka. The run gets a database, Kafka topics and Redis keys of its
 * own, so it neither reads nor leaves anything another run or the test suite sees; `stop()`
 * removes them.
 */
export class LocalStack {
  readonly services: ServiceProcess[] = [];
  readonly fanouts: FanoutServer[] = [];
  readonly jwtSecret = randomBytes(32).toString('base64url');
  /** The simulator's admin routes take it (`EXCHANGE_ADMIN_TOKEN`): the tick ramp sets the rate through them. */
  readonly exchangeAdminToken = randomBytes(32).toString('base64url');
  readonly runId = randomBytes(4).toString('hex');
  readonly databaseName: string;
  readonly appUrl: string;
  /** The owner's connection to the run's database. */
  readonly databaseAdminUrl: string;
  readonly topicPrefix: string;
  readonly redisPrefix: string;
  exchangeUrl = '';
  apiUrl = '';
  private readonly adminUrl: string;
  readonly brokers: string[];
  private readonly redisUrl: string;

  private constructor(private readonly options: LocalStackOptions) {
    this.adminUrl = options.adminUrl ?? process.env.DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
    this.brokers = (options.brokers ?? process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
    this.redisUrl = options.redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    this.databaseName = `tc_bench_${options.label}_${this.runId}`;
    const server = new URL(this.adminUrl);
    this.appUrl = `postgres://trading_core_app@${server.host}/${this.databaseName}`;
    const onDatabase = new URL(this.adminUrl);
    onDatabase.pathname = `/${this.databaseName}`;
    this.databaseAdminUrl = onDatabase.toString();
    this.topicPrefix = `bench-${options.label}-${this.runId}.`;
    this.redisPrefix = `trading-core-bench-${this.runId}:`;
  }

  static async start(options: LocalStackOptions, onStarted: (name: string) => void = () => undefined): Promise<LocalStack> {
    const stack = new LocalStack(options);
    try {
      await stack.startAll(onStarted);
    } catch (error) {
      await stack.stop();
      throw error;
    }
    return stack;
  }

  /** Environment every process of the run shares. */
  private get commonEnv(): Record<string, string> {
    return {
      EVENT_STORE: 'postgres',
      DATABASE_URL: this.appUrl,
      REDIS_URL: this.redisUrl,
      REDIS_KEY_PREFIX: this.redisPrefix,
      KAFKA_BROKERS: this.brokers.join(','),
      KAFKA_TOPIC_PREFIX: this.topicPrefix,
      JWT_SECRET: this.jwtSecret,
      EXCHANGE_URL: this.exchangeUrl,
      UNIVERSE_SIZE: String(this.options.exchange.universeSize ?? 5_000),
      ...this.options.env,
    };
  }

  private async startAll(onStarted: (name: string) => void): Promise<void> {
    await setUpPostgres(this.adminUrl, this.appUrl);
    const exchangePort = await freePort();
    this.exchangeUrl = `http://127.0.0.1:${exchangePort}`;
    await this.startService('exchange-sim', ['exchange-sim'], { EXCHANGE_PORT: String(exchangePort), EXCHANGE_TICKS_PER_SECOND: String(this.options.exchange.ticksPerSecond), EXCHANGE_ADMIN_TOKEN: this.exchangeAdminToken }, `${this.exchangeUrl}/healthz`, `${this.exchangeUrl}/metrics`);
    onStarted('exchange-sim');
    const background = (name: string) => this.startBackground(name).then(() => onStarted(name));
    if (this.options.ingestor) await background('ingestor');
    if (this.options.trading) {
      await background('projector');
      await background('worker');
      const apiPort = await freePort();
      this.apiUrl = `http://127.0.0.1:${apiPort}`;
      await this.startService('api', ['api'], { API_PORT: String(apiPort) }, `${this.apiUrl}/readyz`, `${this.apiUrl}/metrics`);
      onStarted('api');
    }
    for (let index = 1; index <= (this.options.fanouts ?? 0); index += 1) {
      const name = `fanout-${index}`;
      const fanout = await startFanoutServer({
        name,
        transport: 'uws',
        jwtSecret: this.jwtSecret,
        brokers: this.brokers.join(','),
        topicPrefix: this.topicPrefix,
        universeSize: this.options.exchange.universeSize ?? 5_000,
        universeSeed: Number(process.env.UNIVERSE_SEED ?? 42),
        env: this.commonEnv,
      });
      this.fanouts.push(fanout);
      this.services.push(fanout);
      onStarted(name);
    }
    if (this.options.candles) await background('candles');
  }

  private async startBackground(name: string): Promise<ServiceProcess> {
    const metricsPort = await freePort();
    return this.startService(name, [name], { METRICS_PORT: String(metricsPort) }, `http://127.0.0.1:${metricsPort}/readyz`, `http://127.0.0.1:${metricsPort}/metrics`);
  }

  private async startService(name: string, args: string[], env: Record<string, string>, readyUrl: string, metricsUrl: string): Promise<ServiceProcess> {
    const service = await ServiceProcess.start({ name, args, env: { ...this.commonEnv, ...env }, readyUrl, metricsUrl });
    this.services.push(service);
    return service;
  }

  service(name: string): ServiceProcess {
    const found = this.services.find((service) => service.name === name);
    if (!found) throw new Error(`the stack runs no ${name}`);
    return found;
  }

  /** A bearer token of this run's secret. */
  token(accountId: string, role: 'trader' | 'admin' | 'auditor' = 'trader'): string {
    return signToken(this.jwtSecret, { accountId, role, ttlSeconds: 3_600 });
  }

  /** Throws, naming it, when a process of the stack has died. */
  check(): void {
    for (const service of this.services) service.check();
  }

  /** CPU seconds each process has used so far, by name. */
  cpuSeconds(): Map<string, number> {
    return new Map(this.services.filter((service) => service.running).map((service) => [service.name, processCpuSeconds(service.pid)]));
  }

  /** Stops every process (newest first), then removes the run's database, topics and keys. */
  async stop(): Promise<void> {
    for (const service of [...this.services].reverse()) await service.stop(10_000).catch(() => service.kill());
    await Promise.allSettled([this.dropDatabase(), this.deleteTopics(), this.deleteKeys()]);
  }

  private dropDatabase(): Promise<void> {
    return dropDatabase(this.adminUrl, this.databaseName);
  }

  private async deleteTopics(): Promise<void> {
    const admin = new kafkajs.Kafka({ clientId: 'trading-core-bench-cleanup', brokers: this.brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const ours = (await admin.listTopics()).filter((topic) => topic.startsWith(this.topicPrefix));
      if (ours.length > 0) await admin.deleteTopics({ topics: ours });
    } finally {
      await admin.disconnect();
    }
  }

  private async deleteKeys(): Promise<void> {
    const redis = new Redis(this.redisUrl, { maxRetriesPerRequest: 1 });
    try {
      for (let cursor = '0'; ; ) {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${this.redisPrefix}*`, 'COUNT', 1_000);
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
        if (cursor === '0') break;
      }
    } finally {
      redis.disconnect();
    }
  }
}
