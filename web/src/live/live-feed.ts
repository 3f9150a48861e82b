import { CLOSE_CODES, PriceStreamClient, type Order } from '../../../sdk/index.ts';
import { Store } from '../session/store.ts';
import { QuoteBook } from './quote-book.ts';
import { messageOf } from '../api/http-client.ts';

/** What the price socket is doing, as the SDK's events tell it: shown, never hidden. */
export type FeedState =
  | { readonly kind: 'connecting' }
  | { readonly kind: 'live' }
  | { readonly kind: 'reconnecting'; readonly attempt: number; readonly delayMs: number; readonly reason: string }
  | { readonly kind: 'stopped'; readonly reason: string };

/**
 * The console's one price-socket connection (the SDK's `PriceStreamClient`): quotes of every symbol
 * some screen is interested in, and this account's order updates.
 */
export class LiveFeed {
  readonly quotes = new QuoteBook();
  readonly state = new Store<FeedState>({ kind: 'connecting' });
  private readonly client: PriceStreamClient;
  private readonly interests = new Map<string, readonly string[]>();
  private lastDrop = '';
  private syncQueued = false;

  constructor(urls: readonly string[], token: () => string) {
    this.client = new PriceStreamClient({ urls, token, backoff: { initialMs: 250, maxMs: 5_000 } });
    this.client.on('quote', (quote) => this.quotes.apply(quote));
    this.client.on('stale', ({ symbols }) => this.quotes.markStale(symbols));
    this.client.on('connected', () => this.state.set({ kind: 'live' }));
    this.client.on('disconnected', ({ code, reason, willReconnect }) => {
      this.lastDrop = reason ? `${reason} (${code})` : `closed with code ${code}`;
      if (!willReconnect) this.state.set({ kind: 'stopped', reason: code === CLOSE_CODES.unauthorized ? 'the server refused the token' : this.lastDrop });
    });
    this.client.on('reconnecting', ({ attempt, delayMs }) => this.state.set({ kind: 'reconnecting', attempt, delayMs, reason: this.lastDrop }));
    this.client.subscribeOrders();
  }

  start(): void {
    this.client.connect().catch((error: unknown) => this.state.set({ kind: 'stopped', reason: messageOf(error) }));
  }

  /**
   * The symbols one part of the console wants live; the socket carries the union of all of them.
   * Applied once the current synchronous work is done, so a screen that drops its symbols and names them again at once
   * (an effect's clean-up, then the effect) sends nothing.
   */
  want(source: string, symbols: readonly string[]): void {
    this.interests.set(source, symbols);
    if (this.syncQueued) return;
    this.syncQueued = true;
    queueMicrotask(() => {
      this.syncQueued = false;
      this.sync();
    });
  }

  private sync(): void {
    const wanted = new Set([...this.interests.values()].flat());
    const subscribed = this.client.subscribedSymbols();
    const gone = subscribed.filter((symbol) => !wanted.has(symbol));
    if (gone.length > 0) this.client.unsubscribe(gone);
    this.client.subscribe([...wanted]);
  }

  onOrder(listener: (order: Order) => void): () => void {
    return this.client.on('order', listener);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
