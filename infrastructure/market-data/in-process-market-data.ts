import type { LatestQuotes, OrderUpdate, OrderUpdates, Quote, StaleMarker, Tick, TickLog, TickLogEntry, TickStream } from '../../application/market/market-data.ts';
import { quoteOf } from '../../application/market/market-data.ts';

/** The embedded mode's tick log: in this process, with the same contract as Kafka's. */
export class InProcessTickLog implements TickLog, TickStream {
  private readonly last = new Map<string, Tick>();
  private readonly listeners = new Set<(entries: readonly TickLogEntry[]) => void>();
  private listener: ((entries: readonly TickLogEntry[]) => void) | undefined;

  async publish(ticks: readonly Tick[]): Promise<void> {
    for (const tick of ticks) this.last.set(tick.symbol, tick);
    this.deliver(ticks);
  }

  async markStale(symbols: readonly string[], ts: string): Promise<void> {
    this.deliver(symbols.map((symbol): StaleMarker => ({ symbol, stale: true, ts })));
  }

  async lastTicks(): Promise<Map<string, Tick>> {
    return new Map(this.last);
  }

  async latestTicks(): Promise<Tick[]> {
    return [...this.last.values()];
  }

  /** Live entries for one consumer in this process (the fan-out's path in embedded mode). */
  async start(onEntries: (entries: readonly TickLogEntry[]) => void): Promise<void> {
    this.listener = onEntries;
    this.listeners.add(onEntries);
  }

  async stop(): Promise<void> {
    if (this.listener) this.listeners.delete(this.listener);
  }

  /** Live entries for any other consumer in this process (candles in embedded mode). */
  subscribe(listener: (entries: readonly TickLogEntry[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private deliver(entries: readonly TickLogEntry[]): void {
    for (const listener of this.listeners) listener(entries);
  }
}

/** Latest quotes in this process. */
export class InProcessLatestQuotes implements LatestQuotes {
  private readonly ticks = new Map<string, Tick>();

  async put(ticks: readonly Tick[]): Promise<void> {
    for (const tick of ticks) {
      const current = this.ticks.get(tick.symbol);
      if (current && current.seq >= tick.seq) continue;
      this.ticks.set(tick.symbol, tick);
    }
  }

  async latest(symbol: string): Promise<Quote | undefined> {
    const tick = this.ticks.get(symbol);
    return tick && quoteOf(tick);
  }
}

/** Live order updates in this process (embedded mode). */
export class InProcessOrderUpdates implements OrderUpdates {
  private readonly listeners = new Map<string, Set<(update: OrderUpdate) => void>>();

  async publish(updates: readonly OrderUpdate[]): Promise<void> {
    for (const update of updates) for (const listener of this.listeners.get(update.order.accountId) ?? []) listener(update);
  }

  async subscribe(accountId: string, listener: (update: OrderUpdate) => void): Promise<() => Promise<void>> {
    const listeners = this.listeners.get(accountId) ?? new Set();
    listeners.add(listener);
    this.listeners.set(accountId, listeners);
    return async () => {
      listeners.delete(listener);
      if (listeners.size === 0) this.listeners.delete(accountId);
    };
  }
}
