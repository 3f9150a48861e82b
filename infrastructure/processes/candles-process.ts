import type { Registry } from 'prom-client';
import type { CandleStore } from '../../application/market/candles.ts';
import type { Composition } from '../composition/container.ts';
import { TOKENS } from '../composition/tokens.ts';
import type { Config } from '../config/config.ts';
import type { ReadinessCheck } from '../http/routes/operations-routes.ts';
import type { Logger } from '../logging/logger.ts';
import { createCandleMetrics, type CandleMetrics } from '../market-data/candles/candle-metrics.ts';
import { InProcessCandleConsumer, type LiveTickLog } from '../market-data/candles/in-process-candle-consumer.ts';
import { KafkaCandleConsumer } from '../market-data/candles/kafka-candle-consumer.ts';
import { tickTopics } from '../market-data/kafka-tick-log.ts';
import { CandlePruner, type CandleRetention } from '../market-data/candles/candle-pruner.ts';
import { SqlCandleStore } from '../market-data/candles/sql-candle-store.ts';
import type { SqlClient } from '../persistence/sql-client.ts';

export interface RunningCandles {
  /** What /readyz asks of this process. */
  readonly readiness: readonly ReadinessCheck[];
  stop(): Promise<void>;
}

export interface CandlesDependencies {
  /** Where the candles live (PostgreSQL). */
  readonly db: SqlClient;
  readonly logger: Logger;
  readonly metrics: Registry;
}

/** The retention each interval has in `config` (an interval without one is kept for good). */
function candleRetention(config: Config): CandleRetention {
  return {
    '1s': config.CANDLES_1S_RETENTION_MS,
    ...(config.CANDLES_1M_RETENTION_MS ? { '1m': config.CANDLES_1M_RETENTION_MS } : {}),
    ...(config.CANDLES_1H_RETENTION_MS ? { '1h': config.CANDLES_1H_RETENTION_MS } : {}),
  };
}

function candlePruner(config: Config, store: CandleStore, logger: Logger, metrics: CandleMetrics): CandlePruner {
  return new CandlePruner({ store, retention: candleRetention(config), everyMs: config.CANDLES_PRUNE_EVERY_MS, logger, metrics });
}

/** The `candles` process: the partitions of `market.ticks` its consumer group gives it, into PostgreSQL candles. */
export async function startKafkaCandles(config: Config, { db, logger, metrics: registry }: CandlesDependencies): Promise<RunningCandles> {
  const metrics = createCandleMetrics(registry);
  const store = new SqlCandleStore(db);
  const consumer = new KafkaCandleConsumer({ brokers: config.KAFKA_BROKERS.split(','), store, logger, metrics, topics: tickTopics(config.KAFKA_TOPIC_PREFIX) });
  await consumer.start();
  const pruner = candlePruner(config, store, logger, metrics);
  pruner.start();
  logger.info({ brokers: config.KAFKA_BROKERS, retentionMs: candleRetention(config) }, 'candles consumer running');
  return {
    readiness: [
      { name: 'candles_db', check: () => db.query('SELECT 1').then(() => true) },
      { name: 'tick_log', check: async () => consumer.isConsuming() },
    ],
    async stop() {
      await consumer.stop();
      await pruner.stop();
    },
  };
}

/** Candles in the embedded mode: the in-process tick log into the read-model database (PGlite), through the same fold and store. */
export async function startInProcessCandles({ container, logger }: Composition, tickLog: LiveTickLog): Promise<RunningCandles> {
  const config = container.resolve<Config>(TOKENS.Config);
  const metrics = createCandleMetrics(container.resolve<Registry>(TOKENS.Metrics));
  const store = container.resolve<CandleStore>(TOKENS.CandleStore);
  const consumer = new InProcessCandleConsumer({ tickLog, store, logger, metrics });
  await consumer.start();
  const pruner = candlePruner(config, store, logger, metrics);
  pruner.start();
  return {
    readiness: [],
    async stop() {
      await consumer.stop();
      await pruner.stop();
    },
  };
}
