import type { CandleStore } from '../../../application/market/candles.ts';
import type { Tick, TickLogEntry } from '../../../application/market/market-data.ts';
import type { Logger } from '../../logging/logger.ts';
import type { CandleMetrics } from './candle-metrics.ts';
import { parseTick } from './tick-codec.ts';

/** A tick log in this process that hands every entry to its listeners (InProcessTickLog). */
export interface LiveTickLog {
  subscribe(listener: (entries: readonly TickLogEntry[]) => void): () => void;
}

export interface InProcessCandleConsumerOptions {
  readonly tickLog: LiveTickLog;
  readonly store: CandleStore;
  readonly logger: Logger;
  readonly metrics?: CandleMetrics;
  /** How often the ticks received meanwhile are folded, in one transaction. */
  readonly flushEveryMs?: number;
}

/**
 * The embedded mode's candles consumer: the same fold and store as the Kafka consumer, fed by the
 * in-process tick log. That log delivers each entry once and keeps no history, so there is no
 * checkpoint: ticks gather in memory and are folded every `flushEveryMs`, one transaction at a
 * time (PGlite has one connection, shared with the event store and the projector).
 */
export class InProcessCandleConsumer {
  private pending: Tick[] = [];
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly options: InProcessCandleConsumerOptions) {}

  async start(): Promise<void> {
    this.unsubscribe = this.options.tickLog.subscribe((entries) => this.receive(entries));
    this.timer = setInterval(() => void this.flush(), this.options.flushEveryMs ?? 250);
  }

  /** Stops listening and folds what was received. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    clearInterval(this.timer);
    await this.flush();
  }

  /** Folds every tick received so far (after any fold in flight); resolves when they are stored. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.pending.length === 0) return;
      const batch = this.pending;
      this.pending = [];
      try {
        const applied = await this.options.store.applyLiveTicks(batch);
        this.options.metrics?.ticksApplied.inc(applied);
        const newest = batch[batch.length - 1]!;
        this.options.metrics?.lagSeconds.set(Math.max(0, (Date.now() - Date.parse(newest.ts)) / 1000));
      } catch (error) {
        // The in-process log cannot replay: these ticks are missing from the candles.
        this.options.logger.error({ err: error, ticks: batch.length }, 'ticks not folded into candles');
      }
    });
    return this.flushing;
  }

  private receive(entries: readonly TickLogEntry[]): void {
    for (const entry of entries) {
      const tick = parseTick(entry);
      if (tick) this.pending.push(tick);
      else this.options.metrics?.entriesSkipped.inc();
    }
  }
}
