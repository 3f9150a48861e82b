import type { LatestQuotes, Quote, Tick, TickLog } from '../../application/market/market-data.ts';

/** The embedded mode's tick log: in this process, with the same contract as Kafka's. */
export class InProcessTickLog implements TickLog {
  private readonly last = new Map<string, number>();
  private readonly listeners = new Set<(ticks: readonly Tick[]) => void>();

  async publish(ticks: readonly Tick[]): Promise<void> {
    for (const tick of ticks) this.last.set(tick.symbol, tick.seq);
    for (const listener of this.listeners) listener(ticks);
  }

  async lastSequences(): Promise<Map<string, number>> {
    return new Map(this.last);
  }

  /** Live ticks for consumers in this process (the fan-out's path in embedded mode). */
  subscribe(listener: (ticks: readonly Tick[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Latest quotes in this process; the change is against the first price seen for the symbol. */
export class InProcessLatestQuotes implements LatestQuotes {
  private readonly quotes = new Map<string, Quote>();
  private readonly opens = new Map<string, number>();

  async put(ticks: readonly Tick[]): Promise<void> {
    for (const tick of ticks) {
      const open = this.opens.get(tick.symbol) ?? tick.priceCents;
      this.opens.set(tick.symbol, open);
      const current = this.quotes.get(tick.symbol);
      if (current && current.seq >= tick.seq) continue;
      this.quotes.set(tick.symbol, { ...tick, changePct: changePct(tick.priceCents, open) });
    }
  }

  async latest(symbol: string): Promise<Quote | undefined> {
    return this.quotes.get(symbol);
  }
}

/** Percent change, rounded to hundredths. */
export function changePct(priceCents: number, openCents: number): number {
  return Math.round(((priceCents - openCents) / openCents) * 10_000) / 100;
}
