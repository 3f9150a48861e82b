/** The symbols we list and the latest quote of each: ports the market-data adapters fill. */
export interface ListedSymbol {
  readonly symbol: string;
  readonly name: string;
}

export interface Quote {
  readonly symbol: string;
  readonly seq: number;
  readonly priceCents: number;
  readonly bidCents: number;
  readonly askCents: number;
  readonly volume: number;
  readonly changePct: number;
  readonly ts: string;
}

export interface SymbolCatalog {
  isListed(symbol: string): boolean;
  /** Listed symbols in symbol order, after `after`, at most `limit`. */
  list(options: { after?: string; limit: number }): ListedSymbol[];
}

export interface QuoteSource {
  latest(symbol: string): Promise<Quote | undefined>;
}

/** One normalised tick, stamped with the per-symbol sequence number clients order by. */
export type Tick = Omit<Quote, 'changePct'>;

/** The tick log (Kafka `market.ticks` and the compacted `market.last`; in process when embedded). */
export interface TickLog {
  publish(ticks: readonly Tick[]): Promise<void>;
  /** The highest sequence number published per symbol (from `market.last`). */
  lastSequences(): Promise<Map<string, number>>;
}

/** The latest quote per symbol (Redis; in process when embedded), with the day's change. */
export interface LatestQuotes extends QuoteSource {
  put(ticks: readonly Tick[]): Promise<void>;
}
