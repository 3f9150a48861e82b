import type { Account, Activity, ConsoleConfig, Order, OrderRequest, Position } from '../api/contract.ts';
import { ApiFailure, HttpClient } from '../api/http-client.ts';
import { LiveFeed } from '../live/live-feed.ts';
import { isOpen, mergeOrder, orderSummary, STATUS_TEXT } from '../orders/order-book.ts';
import type { SavedSession } from './saved-session.ts';
import { Store } from './store.ts';

export interface ActivityPage {
  readonly items: readonly Activity[];
  readonly nextCursor: string | null;
}

/** How long after an order update the account, positions and activity are read again (updates come in bursts). */
const REFRESH_AFTER_MS = 150;

/**
 * One signed-in trader: the public `/v1` contract by fetch, and the price socket by the SDK.
 * Order updates from the socket keep the orders live; each one also makes the account (reservations),
 * and after a fill the positions and activity, be read again.
 */
export class TradingSession {
  readonly http: HttpClient;
  readonly feed: LiveFeed;
  readonly account = new Store<Account | undefined>(undefined);
  readonly positions = new Store<readonly Position[] | undefined>(undefined);
  readonly orders = new Store<ReadonlyMap<string, Order>>(new Map());
  readonly activities = new Store<ActivityPage | undefined>(undefined);
  /** The latest order change in words, for the page's live region. */
  readonly announcement = new Store('');
  /** Why the session ended (401), for the sign-in screen. */
  readonly ended = new Store<string | undefined>(undefined);
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private pendingRefresh = { account: false, positions: false, activities: false };

  constructor(
    readonly saved: SavedSession,
    readonly config: ConsoleConfig,
  ) {
    this.http = new HttpClient({ token: () => saved.token, onUnauthorized: (failure) => this.ended.set(failure.message) });
    this.feed = new LiveFeed(config.streamUrls, () => saved.token);
    this.feed.onOrder((order) => this.applyOrder(order, true));
  }

  get accountId(): string {
    return this.saved.accountId;
  }

  async start(): Promise<void> {
    this.feed.start();
    await Promise.all([this.refreshAccount(), this.refreshPositions(), this.refreshOrders(), this.refreshActivities()]);
  }

  async refreshAccount(): Promise<void> {
    this.account.set(await this.http.get<Account>('/v1/account'));
  }

  async refreshPositions(): Promise<void> {
    this.positions.set((await this.http.get<{ positions: Position[] }>('/v1/positions')).positions);
  }

  async refreshOrders(): Promise<void> {
    const [open, closed] = await Promise.all([
      this.http.get<{ orders: Order[] }>('/v1/orders?status=open&limit=200'),
      this.http.get<{ orders: Order[] }>('/v1/orders?status=closed&limit=25'),
    ]);
    for (const order of [...closed.orders, ...open.orders]) this.applyOrder(order, false);
  }

  async refreshActivities(): Promise<void> {
    const page = await this.http.get<{ activities: Activity[]; nextCursor: string | null }>('/v1/account/activities?limit=50');
    this.activities.set({ items: page.activities, nextCursor: page.nextCursor });
  }

  async loadMoreActivities(): Promise<void> {
    const current = this.activities.get();
    if (!current?.nextCursor) return;
    const page = await this.http.get<{ activities: Activity[]; nextCursor: string | null }>(`/v1/account/activities?limit=50&cursor=${encodeURIComponent(current.nextCursor)}`);
    this.activities.set({ items: [...current.items, ...page.activities], nextCursor: page.nextCursor });
  }

  async deposit(amountCents: number, idempotencyKey: string): Promise<void> {
    this.account.set(await this.http.post<Account>('/v1/account/deposits', { amountCents, idempotencyKey }));
    await this.refreshActivities();
  }

  async placeOrder(request: OrderRequest): Promise<Order> {
    try {
      const order = await this.http.post<Order>('/v1/orders', request);
      this.applyOrder(order, true);
      return order;
    } finally {
      // A refused order is recorded too; either way the reservation may have changed.
      this.scheduleRefresh({ account: true });
    }
  }

  async cancelOrder(id: string): Promise<Order> {
    const order = await this.http.delete<Order>(`/v1/orders/${encodeURIComponent(id)}`);
    this.applyOrder(order, true);
    return order;
  }

  close(): Promise<void> {
    clearTimeout(this.refreshTimer);
    return this.feed.close();
  }

  private applyOrder(order: Order, live: boolean): void {
    const previous = this.orders.get().get(order.id);
    const merged = mergeOrder(this.orders.get(), order);
    if (merged === this.orders.get()) return;
    this.orders.set(merged);
    if (!live) return;
    if (previous?.status !== order.status) this.announcement.set(`${orderSummary(order)}: ${STATUS_TEXT[order.status]}`);
    const filledMore = order.filledQty > (previous?.filledQty ?? 0);
    this.scheduleRefresh({ account: true, positions: filledMore, activities: filledMore || !isOpen(order) });
  }

  private scheduleRefresh(what: Partial<typeof this.pendingRefresh>): void {
    this.pendingRefresh = {
      account: this.pendingRefresh.account || !!what.account,
      positions: this.pendingRefresh.positions || !!what.positions,
      activities: this.pendingRefresh.activities || !!what.activities,
    };
    if (this.refreshTimer !== undefined) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      const due = this.pendingRefresh;
      this.pendingRefresh = { account: false, positions: false, activities: false };
      const reads = [due.account && this.refreshAccount(), due.positions && this.refreshPositions(), due.activities && this.refreshActivities()];
      void Promise.all(reads.filter(Boolean)).catch((error: unknown) => {
        if (!(error instanceof ApiFailure) || error.status !== 401) console.warn('a refresh after an order update failed', error);
      });
    }, REFRESH_AFTER_MS);
  }
}
