import { isStaleMarker, type Tick, type TickLogEntry } from './market-data.ts';

/** What one conflation window publishes. */
export interface ConflatedWindow {
  /** The newest tick per symbol that moved this window, newer than anything published before. */
  readonly ticks: Tick[];
  /** Symbols whose feed stopped this window (and did not resume in it). */
  readonly stale: string[];
  /** Symbols whose feed resumed this window: their tick goes out as a fresh snapshot. */
  readonly resumed: Set<string>;
}

/**
 * Conflation per symbol per window: within a window only a symbol's newest tick survives, and a
 * tick is taken only when its sequence is above the last one published, so what leaves here per
 * symbol strictly increases however the log redelivers or interleaves. Pure bookkeeping: the
 * caller decides when a window ends.
 */
export class ConflationWindow {
  private readonly published = new Map<string, number>();
  private readonly staleSymbols = new Set<string>();
  private pending = new Map<string, Tick>();
  private newlyStale = new Set<string>();
  private resumed = new Set<string>();

  /** Starts from known ticks (the compacted log) without publishing them. */
  warm(ticks: readonly Tick[]): void {
    for (const tick of ticks) if (tick.seq > (this.published.get(tick.symbol) ?? 0)) this.published.set(tick.symbol, tick.seq);
  }

  add(entries: readonly TickLogEntry[]): void {
    for (const entry of entries) {
      if (isStaleMarker(entry)) {
        if (this.staleSymbols.has(entry.symbol)) continue;
        this.staleSymbols.add(entry.symbol);
        this.newlyStale.add(entry.symbol);
        this.resumed.delete(entry.symbol);
        continue;
      }
      const newest = this.pending.get(entry.symbol)?.seq ?? this.published.get(entry.symbol) ?? 0;
      if (entry.seq <= newest) continue;
      this.pending.set(entry.symbol, entry);
      if (this.staleSymbols.delete(entry.symbol)) {
        if (!this.newlyStale.delete(entry.symbol)) this.resumed.add(entry.symbol);
      }
    }
  }

  isStale(symbol: string): boolean {
    return this.staleSymbols.has(symbol);
  }

  /** Ends the window: what to publish, and the published sequences move up. */
  drain(): ConflatedWindow {
    const ticks = [...this.pending.values()];
    for (const tick of ticks) this.published.set(tick.symbol, tick.seq);
    const window = { ticks, stale: [...this.newlyStale], resumed: this.resumed };
    this.pending = new Map();
    this.newlyStale = new Set();
    this.resumed = new Set();
    return window;
  }
}
