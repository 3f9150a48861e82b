import type { ListedSymbol, Quote, QuoteSource, SymbolCatalog } from '../../application/market/market-data.ts';
import { seededRandom } from '../../domain/shared/seeded-random.ts';

/** The names api.md promises, with reference prices in cents near where they trade. */
const NAMED: ReadonlyArray<readonly [string, string, number]> = [
  ['AAPL', 'Apple Inc.', 19_000],
  ['MSFT', 'Microsoft Corporation', 41_500],
  ['TSLA', 'Tesla, Inc.', 24_000],
  ['NVDA', 'NVIDIA Corporation', 12_000],
  ['SPY', 'SPDR S&P 500 ETF Trust', 55_000],
  ['META', 'Meta Platforms, Inc.', 50_000],
  ['AMZN', 'Amazon.com, Inc.', 18_500],
  ['GOOGL', 'Alphabet Inc. Class A', 17_000],
];

export interface ReferenceSymbol extends ListedSymbol {
  /** Reference price in cents: where the simulated market starts. */
  readonly referencePriceCents: number;
}

/**
 * The listed universe: the named symbols plus `generated` made-up tickers of 3–4 letters with
 * log-uniform reference prices between $2 and $800, all determined by `seed`.
 */
export function referenceUniverse(options: { seed?: number; generated?: number } = {}): ReferenceSymbol[] {
  const random = seededRandom(options.seed ?? 42);
  const symbols: ReferenceSymbol[] = NAMED.map(([symbol, name, referencePriceCents]) => ({ symbol, name, referencePriceCents }));
  const taken = new Set(symbols.map((entry) => entry.symbol));
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  while (symbols.length < NAMED.length + (options.generated ?? 5_000)) {
    const length = random() < 0.4 ? 3 : 4;
    let symbol = '';
    for (let i = 0; i < length; i += 1) symbol += letters[Math.floor(random() * letters.length)];
    if (taken.has(symbol)) continue;
    taken.add(symbol);
    const referencePriceCents = Math.round(200 * Math.exp(random() * Math.log(400)));
    symbols.push({ symbol, name: `${symbol} Holdings (simulated)`, referencePriceCents });
  }
  return symbols.sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
}

/** Half a basis point of spread each side, at least a cent. */
export function referenceQuote(entry: ReferenceSymbol, ts: string): Quote {
  const halfSpread = Math.max(1, Math.round(entry.referencePriceCents * 0.00025));
  return {
    symbol: entry.symbol,
    seq: 0,
    priceCents: entry.referencePriceCents,
    bidCents: entry.referencePriceCents - halfSpread,
    askCents: entry.referencePriceCents + halfSpread,
    volume: 0,
    changePct: 0,
    ts,
  };
}

/** Catalog and quotes from the reference universe, until live market data stands behind them. */
export class ReferenceMarket implements SymbolCatalog, QuoteSource {
  private readonly bySymbol: Map<string, ReferenceSymbol>;
  private readonly ordered: ReferenceSymbol[];

  constructor(universe: ReferenceSymbol[]) {
    this.ordered = universe;
    this.bySymbol = new Map(universe.map((entry) => [entry.symbol, entry]));
  }

  isListed(symbol: string): boolean {
    return this.bySymbol.has(symbol);
  }

  list({ after, limit }: { after?: string; limit: number }): ListedSymbol[] {
    const start = after === undefined ? 0 : this.ordered.findIndex((entry) => entry.symbol > after);
    if (start < 0) return [];
    return this.ordered.slice(start, start + limit).map(({ symbol, name }) => ({ symbol, name }));
  }

  async latest(symbol: string): Promise<Quote | undefined> {
    const entry = this.bySymbol.get(symbol);
    return entry ? referenceQuote(entry, new Date().toISOString()) : undefined;
  }
}
