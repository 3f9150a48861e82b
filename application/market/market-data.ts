import type { OrderUpdate } from '../orders/order-updates.ts';

export type { OrderUpdate } from '../orders/order-updates.ts';

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
  /** The session's opening price the change is measured from, when known. */
  readonly openCents?: number;
}

export interface SymbolCatalog {
  isListed(symbol: string): boolean;
  /** Listed symbols in symbol order, after `after`, at most `limit`. */
  list(options: { after?: string; limit: number }): ListedSymbol[];
}

export interface QuoteSource {
  latest(symbol: string): Promise<Quote | undefined>;
}

/**
 * One normalised tick, stamped with the per-symbol sequence number clients order by, and the
 * session's opening price (the first the ingestor saw) that the day's change is measured from.
 */
export type Tick = Omit<Quote, 'changePct'> & { readonly openCents?: number };

/** Says the upstream feed of a symbol has stopped; its next tick means it has resumed. */
export interface StaleMarker {
  readonly symbol: string;
  readonly stale: true;
  readonly ts: string;
}

/** What the tick log carries per symbol, in order: ticks and stale markers. */
export type TickLogEntry = Tick | StaleMarker;

export function isStaleMarker(entry: TickLogEntry): entry is StaleMarker {
  return 'stale' in entry && entry.stale === true;
}

/** The last tick of each symbol in a batch (a symbol's ticks come in sequence order). */
export function newestPerSymbol(ticks: readonly Tick[]): Tick[] {
  const newest = new Map<string, Tick>();
  for (const tick of ticks) newest.set(tick.symbol, tick);
  return [...newest.values()];
}

/** The quote a tick makes, with the change against the opening price. */
export function quoteOf(tick: Tick): Quote {
  const open = tick.openCents ?? tick.priceCents;
  return { ...tick, openCents: open, changePct: Math.round(((tick.priceCents - open) / open) * 10_000) / 100 };
}

/** The tick log (Kafka `market.ticks` and the compacted `market.last`; in process when embedded). */
export interface TickLog {
  publish(ticks: readonly Tick[]): Promise<void>;
  /** Records that the feed of these symbols has stopped (in order with their ticks). */
  markStale(symbols: readonly string[], ts: string): Promise<void>;
  /** The last tick published per symbol (from `market.last`): where sequences and opens resume. */
  lastTicks(): Promise<Map<string, Tick>>;
}

/** The latest quote per symbol (Redis; in process when embedded), with the day's change. */
export interface LatestQuotes extends QuoteSource {
  put(ticks: readonly Tick[]): Promise<void>;
}

/**
 * The live tick log for a consumer that wants every symbol (a fan-out instance): the latest tick
 * per symbol to start from, then every entry from then on, in order per symbol.
 */
export interface TickStream {
  /** The latest tick of every symbol the log knows (from the compacted `market.last`). */
  latestTicks(): Promise<Tick[]>;
  /** Delivers entries from now on until stopped. */
  start(onEntries: (entries: readonly TickLogEntry[]) => void): Promise<void>;
  stop(): Promise<void>;
}

/** Live order updates per account, one per order event (Redis channel `orders:{accountId}`; in process when embedded). */
export interface OrderUpdates {
  publish(updates: readonly OrderUpdate[]): Promise<void>;
  /** Listens to one account's updates until the returned function is called. */
  subscribe(accountId: string, listener: (update: OrderUpdate) => void): Promise<() => Promise<void>>;
}
