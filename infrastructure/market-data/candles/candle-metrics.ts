import { Counter, Gauge, type Registry } from 'prom-client';

/** What the candles consumer and its pruner report on /metrics. */
export interface CandleMetrics {
  readonly ticksApplied: Counter;
  readonly ticksRedelivered: Counter;
  readonly entriesSkipped: Counter;
  readonly candlesPruned: Counter<'interval'>;
  readonly lagSeconds: Gauge;
}

/** Registers the candle metrics in `registry` (once per registry). */
export function createCandleMetrics(registry: Registry): CandleMetrics {
  return {
    ticksApplied: new Counter({ name: 'candles_ticks_applied_total', help: 'Ticks folded into candles', registers: [registry] }),
    ticksRedelivered: new Counter({
      name: 'candles_ticks_redelivered_total',
      help: 'Ticks delivered again at or below a partition checkpoint, and left alone',
      registers: [registry],
    }),
    entriesSkipped: new Counter({ name: 'candles_log_entries_skipped_total', help: 'Tick-log entries that are not ticks (stale markers, unreadable values)', registers: [registry] }),
    candlesPruned: new Counter({ name: 'candles_pruned_total', help: 'Candles removed by retention, by interval', labelNames: ['interval'], registers: [registry] }),
    lagSeconds: new Gauge({ name: 'candles_lag_seconds', help: 'Age of the newest tick folded into candles, when its batch was applied', registers: [registry] }),
  };
}
