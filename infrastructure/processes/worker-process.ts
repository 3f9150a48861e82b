import { Counter, type Registry } from 'prom-client';
import type { EventStore } from '../../application/event-store/event-store.ts';
import { exchangeWorkflow } from '../../application/orders/exchange-workflow.ts';
import type { Clock } from '../../application/shared/command-context.ts';
import type { CommandHandler } from '../../application/shared/command-handler.ts';
import { HttpExchangeClient } from '../../gateways/exchange/http-exchange-client.ts';
import type { Config } from '../config/config.ts';
import type { Composition } from '../composition/container.ts';
import { TOKENS } from '../composition/tokens.ts';
import type { SqlClient } from '../persistence/sql-client.ts';
import { OrderWorker } from '../worker/order-worker.ts';
import { SqlExternalOrderIndex } from '../read-models/sql-external-order-index.ts';
import type { SqlExchangeStatus } from '../exchange/sql-exchange-status.ts';
import type { ReferenceMarket } from '../market/reference-universe.ts';

/** The `worker` process (or the worker inside the embedded mode). */
export async function startWorker(composition: Composition): Promise<OrderWorker> {
  const { container, logger } = composition;
  const config = container.resolve<Config>(TOKENS.Config);
  const status = container.resolve<SqlExchangeStatus>(TOKENS.ExchangeStatus);
  await status.record('closed');
  const exchange = new HttpExchangeClient({
    url: config.EXCHANGE_URL,
    timeoutMs: config.EXCHANGE_TIMEOUT_MS,
    onBreakerChange: (state) => {
      logger.warn({ state }, 'exchange circuit breaker changed');
      void status.record(state).catch((error: unknown) => logger.error({ err: error }, 'could not share the circuit state'));
    },
  });
  composition.onClose(() => exchange.close());
  const store = container.resolve<EventStore>(TOKENS.EventStore);
  const market = container.resolve<ReferenceMarket>(TOKENS.Market);
  const metrics = container.resolve<Registry>(TOKENS.Metrics);
  // The alert: anything the exchange reported that we refused to apply.
  const anomalies = new Counter({ name: 'exchange_anomalies_total', help: 'Exchange reports and answers refused as anomalies, by kind', labelNames: ['kind'], registers: [metrics] });
  const workflow = exchangeWorkflow({
    commands: container.resolve<CommandHandler>(TOKENS.CommandHandler),
    quotes: market,
    marketCollarBasisPoints: config.MARKET_COLLAR_BPS,
    onStep: container.resolve<(step: string) => void>(TOKENS.OnStep),
    exchange,
    index: new SqlExternalOrderIndex(container.resolve<SqlClient>(TOKENS.ReadModelDb)),
    store,
    clock: container.resolve<Clock>(TOKENS.Clock),
    principal: 'system:worker',
    onAnomaly: (anomaly) => {
      anomalies.inc({ kind: anomaly.kind });
      logger.warn({ anomaly }, 'exchange reported something we cannot apply');
    },
  });
  const feedUrl = `${config.EXCHANGE_URL.replace(/^http/, 'ws')}/v1/executions`;
  const worker = new OrderWorker({
    store,
    db: container.resolve<SqlClient>(TOKENS.ReadModelDb),
    workflow,
    feedUrl,
    logger,
    metrics,
    reconcileEveryMs: config.RECONCILE_EVERY_MS,
    stuckAfterMs: config.RECONCILE_AFTER_MS,
  });
  await worker.start();
  logger.info({ exchange: config.EXCHANGE_URL }, 'worker running');
  return worker;
}
