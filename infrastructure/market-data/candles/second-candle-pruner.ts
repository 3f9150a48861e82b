import type { CandleStore } from '../../../application/market/candles.ts';
import type { Logger } from '../../logging/logger.ts';
import type { CandleMetrics } from './candle-metrics.ts';

export interface SecondCandlePrunerOptions {
  readonly store: Pick<CandleStore, 'pruneSecondCandles'>;
  /** One-second candles older than this are removed (CANDLES_1S_RETENTION_MS). */
  readonly retentionMs: number;
  /** How often to look (CANDLES_PRUNE_EVERY_MS). */
  readonly everyMs: number;
  readonly logger: Logger;
  readonly metrics?: CandleMetrics;
  readonly now?: () => number;
}

/**
 * Retention of one-second candles: every `everyMs`, removes those whose bucket started more than
 * `retentionMs` ago. Minute, hour and day candles are kept.
 */
export class SecondCandlePruner {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> = Promise.resolve(0);

  constructor(private readonly options: SecondCandlePrunerOptions) {}

  start(): void {
    void this.pruneNow();
    this.timer = setInterval(() => void this.pruneNow(), this.options.everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Prunes once (after any prune in flight); resolves with how many candles it removed. */
  pruneNow(): Promise<number> {
    this.running = this.running.then(async () => {
      const cutoff = (this.options.now ?? Date.now)() - this.options.retentionMs;
      try {
        const pruned = await this.options.store.pruneSecondCandles(cutoff);
        this.options.metrics?.secondCandlesPruned.inc(pruned);
        if (pruned > 0) this.options.logger.info({ pruned, before: new Date(cutoff).toISOString() }, 'one-second candles pruned');
        return pruned;
      } catch (error) {
        this.options.logger.warn({ err: error }, 'pruning one-second candles failed; trying again later');
        return 0;
      }
    });
    return this.running;
  }
}
