import type { SimulatedMarket, SimulatedQuote } from './simulated-market.ts';

export type ExchangeSide = 'buy' | 'sell';
export type ExchangeOrderStatus = 'accepted' | 'partially_filled' | 'filled' | 'canceled' | 'expired' | 'rejected';

export interface ExchangeOrderRequest {
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: ExchangeSide;
  readonly type: 'market' | 'limit';
  readonly qty: number;
  readonly limitPriceCents?: number | null;
  /** A market buy is never filled above (a market sell never below) this price. */
  readonly protectionPriceCents?: number | null;
  readonly timeInForce: 'day' | 'gtc' | 'ioc' | 'fok';
}

export interface ExchangeOrder extends ExchangeOrderRequest {
  readonly externalOrderId: string;
  status: ExchangeOrderStatus;
  filledQty: number;
  readonly executions: Execution[];
  rejectReason?: string;
}

export interface Execution {
  readonly executionId: string;
  readonly externalOrderId: string;
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: ExchangeSide;
  readonly qty: number;
  readonly priceCents: number;
  readonly leavesQty: number;
}

/** What the exchange reports on its execution feed. */
export type FeedReport =
  | ({ readonly type: 'execution' } & Execution)
  | { readonly type: 'order_status'; readonly externalOrderId: string; readonly clientOrderId: string; readonly status: 'canceled' | 'expired' | 'rejected'; readonly reason?: string };

const OPEN: readonly ExchangeOrderStatus[] = ['accepted', 'partially_filled'];

/**
 * The simulated exchange's book: market orders fill at the touch up to the displayed size,
 * limit orders rest until the quote crosses them, and the remainder of an order fills on later
 * quotes; `ioc` cancels what does not fill at once, `fok` fills all at once or nothing, `day`
 * orders expire at the close. Every fill and every end is reported through `report`.
 */
export class MatchingEngine {
  private readonly byExternalId = new Map<string, ExchangeOrder>();
  private readonly byClientId = new Map<string, ExchangeOrder>();
  /** Resting orders per symbol, each side in priority order: best price first, then oldest. */
  private readonly resting = new Map<string, { readonly buy: ExchangeOrder[]; readonly sell: ExchangeOrder[] }>();
  private nextOrder = 1;

  /**
   * `session` names this run of the exchange inside every order id it gives out, so an id is never
   * given twice across restarts (a restarted exchange has forgotten its orders, as real ones do).
   */
  constructor(
    private readonly market: SimulatedMarket,
    private readonly report: (report: FeedReport) => void,
    private readonly session = 'S0',
    /** Told of each order when taken, and again when refused (the journal). */
    private readonly onOrder: (order: ExchangeOrder) => void = () => undefined,
  ) {}

  /**
   * Orders an earlier run took, with their fills and ends from its reports: known again by both
   * ids, none resting. Returns those that were still open, for the restart to cancel.
   */
  restore(orders: Iterable<Omit<ExchangeOrder, 'executions' | 'filledQty'>>, reports: Iterable<FeedReport>): ExchangeOrder[] {
    for (const kept of orders) {
      const order: ExchangeOrder = { ...kept, filledQty: 0, executions: [] };
      this.byClientId.set(order.clientOrderId, order);
      this.byExternalId.set(order.externalOrderId, order);
    }
    for (const report of reports) {
      const order = this.byExternalId.get(report.externalOrderId);
      if (!order) continue;
      if (report.type === 'order_status') {
        order.status = report.status;
        continue;
      }
      const { executionId, externalOrderId, clientOrderId, symbol, side, qty, priceCents, leavesQty } = report;
      const execution: Execution = { executionId, externalOrderId, clientOrderId, symbol, side, qty, priceCents, leavesQty };
      order.executions.push(execution);
      order.filledQty += execution.qty;
      order.status = order.filledQty >= order.qty ? 'filled' : 'partially_filled';
    }
    return [...this.byExternalId.values()].filter((order) => OPEN.includes(order.status));
  }

  find(clientOrderId: string): ExchangeOrder | undefined {
    return this.byClientId.get(clientOrderId);
  }

  get(externalOrderId: string): ExchangeOrder | undefined {
    return this.byExternalId.get(externalOrderId);
  }

  /** Places an order; the same clientOrderId again answers with the order it placed then. */
  place(request: ExchangeOrderRequest): { order: ExchangeOrder; created: boolean } {
    const existing = this.byClientId.get(request.clientOrderId);
    if (existing) return { order: existing, created: false };
    const order: ExchangeOrder = { ...request, externalOrderId: `EX-${this.session}-${String(this.nextOrder++).padStart(8, '0')}`, status: 'accepted', filledQty: 0, executions: [] };
    this.byClientId.set(order.clientOrderId, order);
    this.byExternalId.set(order.externalOrderId, order);
    this.onOrder(order);
    const quote = this.market.quote(order.symbol);
    if (!quote) {
      order.status = 'rejected';
      order.rejectReason = 'unknown_symbol';
      this.onOrder(order);
      return { order, created: true };
    }
    if (order.timeInForce === 'fok' && this.fillableNow(order, quote) < order.qty) {
      this.end(order, 'canceled');
      return { order, created: true };
    }
    this.match(order, quote);
    if (OPEN.includes(order.status)) {
      if (order.timeInForce === 'ioc') this.end(order, 'canceled');
      else this.rest(order);
    }
    return { order, created: true };
  }

  /**
   * Cancels by the exchange's id; with `clientOrderId` (FIX's OrigClOrdID) only when both name the
   * same order, so a stale id cannot cancel somebody else's order.
   */
  cancel(externalOrderId: string, clientOrderId?: string): ExchangeOrder | undefined {
    const order = this.byExternalId.get(externalOrderId);
    if (!order || (clientOrderId !== undefined && order.clientOrderId !== clientOrderId)) return undefined;
    if (OPEN.includes(order.status)) this.end(order, 'canceled');
    return order;
  }

  /**
   * A new quote: resting orders of its symbol fill against it in price-time priority, up to the
   * displayed size. Each side is kept in priority order, so the walk stops at the first order the
   * quote does not reach — a deep book of orders far from the market costs nothing per quote.
   */
  onQuote(quote: SimulatedQuote): void {
    const book = this.resting.get(quote.symbol);
    if (!book) return;
    for (const side of [book.buy, book.sell]) {
      let displayed = quote.displayedQty;
      let done = 0;
      for (const order of side) {
        if (displayed <= 0) break;
        const filled = this.match(order, { ...quote, displayedQty: displayed });
        if (filled === 0) break;
        displayed -= filled;
        if (!OPEN.includes(order.status)) done += 1;
        else break;
      }
      // The orders that filled completely are the first ones.
      if (done > 0) side.splice(0, done);
    }
  }
  /** The close: every open `day` order expires. */
  closeDay(): void {
    for (const order of this.byExternalId.values()) if (order.timeInForce === 'day' && OPEN.includes(order.status)) this.end(order, 'expired');
  }

  /** Puts an order on its side of the book after every order of better or equal price. */
  private rest(order: ExchangeOrder): void {
    let book = this.resting.get(order.symbol);
    if (!book) this.resting.set(order.symbol, (book = { buy: [], sell: [] }));
    const side = book[order.side];
    const rank = (candidate: ExchangeOrder) => {
      const bound = candidate.type === 'limit' ? candidate.limitPriceCents : candidate.protectionPriceCents;
      // Higher bids first, lower offers first; an order without a bound takes any price.
      if (bound === null || bound === undefined) return Number.NEGATIVE_INFINITY;
      return candidate.side === 'buy' ? -bound : bound;
    };
    const key = rank(order);
    let low = 0;
    let high = side.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (rank(side[middle]!) <= key) low = middle + 1;
      else high = middle;
    }
    side.splice(low, 0, order);
  }

  private fillableNow(order: ExchangeOrder, quote: SimulatedQuote): number {
    const price = order.side === 'buy' ? quote.askCents : quote.bidCents;
    return this.acceptable(order, price) ? quote.displayedQty : 0;
  }

  private acceptable(order: ExchangeOrder, price: number): boolean {
    const bound = order.type === 'limit' ? order.limitPriceCents : order.protectionPriceCents;
    if (bound === null || bound === undefined) return true;
    return order.side === 'buy' ? price <= bound : price >= bound;
  }

  /** Fills what the quote allows; returns the shares filled. */
  private match(order: ExchangeOrder, quote: SimulatedQuote): number {
    const price = order.side === 'buy' ? quote.askCents : quote.bidCents;
    if (!this.acceptable(order, price)) return 0;
    const qty = Math.min(order.qty - order.filledQty, quote.displayedQty);
    if (qty <= 0) return 0;
    order.filledQty += qty;
    order.status = order.filledQty === order.qty ? 'filled' : 'partially_filled';
    const execution: Execution = {
      executionId: `${order.externalOrderId}-${order.executions.length + 1}`,
      externalOrderId: order.externalOrderId,
      clientOrderId: order.clientOrderId,
      symbol: order.symbol,
      side: order.side,
      qty,
      priceCents: price,
      leavesQty: order.qty - order.filledQty,
    };
    order.executions.push(execution);
    this.report({ type: 'execution', ...execution });
    return qty;
  }

  private end(order: ExchangeOrder, status: 'canceled' | 'expired'): void {
    order.status = status;
    const side = this.resting.get(order.symbol)?.[order.side];
    const index = side?.indexOf(order) ?? -1;
    if (index >= 0) side!.splice(index, 1);
    this.report({ type: 'order_status', externalOrderId: order.externalOrderId, clientOrderId: order.clientOrderId, status });
  }
}
