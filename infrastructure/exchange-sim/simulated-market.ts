import { seededRandom } from '../../domain/shared/seeded-random.ts';
import type { ReferenceSymbol } from '../market/reference-universe.ts';

export interface SimulatedQuote {
  readonly symbol: string;
  readonly seq: number;
  readonly priceCents: number;
  readonly bidCents: number;
  readonly askCents: number;
  /** Shares shown at the bid and at the ask. */
  readonly displayedQty: number;
  readonly volume: number;
  readonly ts: number;
}

/**
 * Prices that move as a random walk with a spread, one symbol per tick, symbols chosen with a
 * Zipf-like popularity (the first symbols of the universe are the hot ones). Deterministic for a
 * seed.
 */
export class SimulatedMarket {
  private readonly random: () => number;
  private readonly quotes = new Map<string, SimulatedQuote>();
  private readonly symbols: string[];
  private readonly cumulativeWeights: number[];
  /** Symbols held at a fixed price (drills and tests that need fills at a known price). */
  private readonly pinned = new Map<string, number>();

  constructor(universe: readonly ReferenceSymbol[], seed: number, now: () => number) {
    this.random = seededRandom(seed);
    // The named symbols first, so they are the most traded.
    const generated = (entry: ReferenceSymbol): boolean => entry.name.endsWith('(simulated)');
    const ordered = [...universe.filter((entry) => !generated(entry)), ...universe.filter(generated)];
    this.symbols = ordered.map((entry) => entry.symbol);
    let total = 0;
    this.cumulativeWeights = this.symbols.map((_, rank) => (total += 1 / (rank + 1)));
    for (const entry of ordered) this.quotes.set(entry.symbol, this.quoteAround(entry.symbol, entry.referencePriceCents, 0, 0, now()));
  }

  quote(symbol: string): SimulatedQuote | undefined {
    return this.quotes.get(symbol);
  }

  has(symbol: string): boolean {
    return this.quotes.has(symbol);
  }

  /** Holds a symbol's price where it is told (until `unpin`); its quote moves to it at once. */
  pin(symbol: string, priceCents: number, now: number): SimulatedQuote {
    const current = this.quotes.get(symbol)!;
    this.pinned.set(symbol, priceCents);
    const next = this.quoteAround(symbol, priceCents, current.seq + 1, current.volume, now);
    this.quotes.set(symbol, next);
    return next;
  }

  unpin(symbol: string): void {
    this.pinned.delete(symbol);
  }

  /** Moves one symbol's price by a small random step (not a pinned one's) and returns its new quote. */
  tick(now: number, symbol = this.pickSymbol()): SimulatedQuote {
    const current = this.quotes.get(symbol)!;
    const step = this.pinned.has(symbol) ? 0 : Math.round(current.priceCents * (this.random() - 0.5) * 0.002);
    const priceCents = Math.max(1, current.priceCents + step);
    const next = this.quoteAround(symbol, priceCents, current.seq + 1, current.volume + Math.floor(this.random() * 500), now);
    this.quotes.set(symbol, next);
    return next;
  }

  private pickSymbol(): string {
    const target = this.random() * this.cumulativeWeights[this.cumulativeWeights.length - 1]!;
    let low = 0;
    let high = this.cumulativeWeights.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.cumulativeWeights[middle]! < target) low = middle + 1;
      else high = middle;
    }
    return this.symbols[low]!;
  }

  private quoteAround(symbol: string, priceCents: number, seq: number, volume: number, ts: number): SimulatedQuote {
    const halfSpread = Math.max(1, Math.round(priceCents * 0.00025));
    return {
      symbol,
      seq,
      priceCents,
      bidCents: Math.max(1, priceCents - halfSpread),
      askCents: priceCents + halfSpread,
      displayedQty: 100 + Math.floor(this.random() * 400),
      volume,
      ts,
    };
  }
}
