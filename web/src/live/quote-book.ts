import type { Quote } from '../../../sdk/index.ts';

export type Direction = 'up' | 'down' | 'unchanged';

/** The newest quote of a symbol, with which way it moved from the one before and whether its feed stopped. */
export interface LiveQuote extends Quote {
  readonly direction: Direction;
  /** The upstream feed of this symbol stopped (a `stale` notice); cleared by its next quote. */
  readonly stale: boolean;
}

/**
 * The latest quote per symbol the price socket delivered (the SDK already dropped anything not
 * newer), with per-symbol listeners so a ticking symbol re-renders only what shows it.
 */
export class QuoteBook {
  private readonly quotes = new Map<string, LiveQuote>();
  private readonly listeners = new Map<string, Set<(quote: LiveQuote | undefined) => void>>();

  get(symbol: string): LiveQuote | undefined {
    return this.quotes.get(symbol);
  }

  apply(quote: Quote): void {
    const previous = this.quotes.get(quote.symbol);
    const direction: Direction = !previous || quote.priceCents === previous.priceCents ? 'unchanged' : quote.priceCents > previous.priceCents ? 'up' : 'down';
    this.put({ ...quote, direction, stale: false });
  }

  markStale(symbols: readonly string[]): void {
    for (const symbol of symbols) {
      const quote = this.quotes.get(symbol);
      if (quote && !quote.stale) this.put({ ...quote, stale: true });
    }
  }

  subscribe(symbol: string, listener: (quote: LiveQuote | undefined) => void): () => void {
    const set = this.listeners.get(symbol) ?? new Set();
    set.add(listener);
    this.listeners.set(symbol, set);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(symbol);
    };
  }

  private put(quote: LiveQuote): void {
    this.quotes.set(quote.symbol, quote);
    for (const listener of [...(this.listeners.get(quote.symbol) ?? [])]) listener(quote);
  }
}
