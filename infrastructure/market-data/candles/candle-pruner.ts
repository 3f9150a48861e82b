import type { CandleInterval, CandleStore } from '../../../application/market/candles.ts';
import type { Logger } from '../../logging/logger.ts';
import { PeriodicJob } from '../../scheduling/periodic-job.ts';
import type { CandleMetrics } from './candle-metrics.ts';

/** How long candles of each interval are kept; an interval not named is kept for good. */
export type CandleRetention = Partial<Readonly<Record<CandleInterval, number>>>;

export interface CandlePrunerOptions {
  readonly store: Pick<CandleStore, 'pruneCandles'>;
  /** CANDLES_1S_RETENTION_MS, CANDLES_1M_RETENTION_MS, CANDLES_1H_RETENTION_MS. */
  readonly retention: CandleRetention;
  /** How often to look (CANDLES_PRUNE_EVERY_MS). */
  readonly everyMs: number;
  readonly logger: Logger;
  readonly metrics?: CandleMetrics;
  readonly now?: () => number;
}

/**
 * Retention of candles: every `everyMs`, removes those of each interval with a retention whose
 * bucket started longer ago than it (docs/adr/0018-embedded-memory-bounds.md).
 */
export class CandlePruner {
  private readonly job: PeriodicJob<number>;

  constructor(private readonly options: CandlePrunerOptions) {
    this.job = new PeriodicJob(() => this.prune(), options.everyMs);
  }

  start(): void {
    this.job.start({ immediately: true });
  }

  stop(): Promise<void> {
    return this.job.stop();
  }

  /** Prunes once (after any prune in flight); resolves with how many candles it removed. */
  pruneNow(): Promise<number> {
    return this.job.runNow();
  }

  private async prune(): Promise<number> {
    const now = (this.options.now ?? Date.now)();
    let total = 0;
    for (const [interval, retentionMs] of Object.entries(this.options.retention) as Array<[CandleInterval, number]>) {
      try {
        const pruned = await this.options.store.pruneCandles(interval, now - retentionMs);
        this.options.metrics?.candlesPruned.inc({ interval }, pruned);
        total += pruned;
      } catch (error) {
        this.options.logger.warn({ err: error, interval }, 'pruning candles failed; trying again later');
      }
    }
    if (total > 0) this.options.logger.debug({ pruned: total }, 'candles pruned');
    return total;
  }
}
