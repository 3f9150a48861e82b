import type { Registry } from 'prom-client';
import type { LatestQuotes, TickLog } from '../../application/market/market-data.ts';
import type { Config } from '../config/config.ts';
import type { Logger } from '../logging/logger.ts';
import { Ingestor } from '../market-data/ingestor.ts';

/** The ingestor on the exchange's tick feed (`EXCHANGE_URL` + `/v1/ticks`). */
export async function startIngestor(config: Config, tickLog: TickLog, latest: LatestQuotes, logger: Logger, metrics: Registry): Promise<Ingestor> {
  const ingestor = new Ingestor({ feedUrl: `${config.EXCHANGE_URL.replace(/^http/, 'ws')}/v1/ticks`, tickLog, latest, logger, metrics, staleAfterMs: config.STALE_AFTER_MS });
  await ingestor.start();
  logger.info({ exchange: config.EXCHANGE_URL }, 'ingestor running');
  return ingestor;
}
