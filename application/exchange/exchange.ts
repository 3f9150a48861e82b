/** The external exchange (market maker) as the order workflow sees it (design.md; seed 002). */

export interface ExchangeExecution {
  readonly executionId: string;
  readonly externalOrderId: string;
  /** Our orderId: it is the clientOrderId we give the exchange. */
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
  readonly qty: number;
  readonly priceCents: number;
  readonly leavesQty: number;
}

export type ExchangeOrderStatus = 'accepted' | 'partially_filled' | 'filled' | 'canceled' | 'expired' | 'rejected';

export interface ExchangeOrderSnapshot {
  readonly externalOrderId: string;
  readonly clientOrderId: string;
  readonly status: ExchangeOrderStatus;
  readonly filledQty: number;
  readonly leavesQty: number;
  readonly rejectReason: string | null;
  readonly executions: readonly ExchangeExecution[];
}

export interface ExchangeOrderRequest {
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
  readonly type: 'market' | 'limit';
  readonly qty: number;
  readonly limitPriceCents: number | null;
  /** A market buy must not fill above what we held per share for it. */
  readonly protectionPriceCents: number | null;
  readonly timeInForce: 'day' | 'gtc' | 'ioc' | 'fok';
}

export interface Exchange {
  /** Idempotent by clientOrderId: placing again answers with the order placed then. */
  placeOrder(request: ExchangeOrderRequest): Promise<ExchangeOrderSnapshot>;
  /**
   * The order after the cancel (it may have filled first); undefined when the exchange knows no
   * order by both ids — the cancel names ours by the exchange's id and our clientOrderId.
   */
  cancelOrder(externalOrderId: string, clientOrderId: string): Promise<ExchangeOrderSnapshot | undefined>;
  findOrder(clientOrderId: string): Promise<ExchangeOrderSnapshot | undefined>;
}

/** The exchange did not answer in time: the call may or may not have taken effect. */
export class ExchangeTimeoutError extends Error {
  readonly code = 'exchange_timeout';
  constructor(what: string) {
    super(`the exchange did not answer ${what} in time`);
    this.name = 'ExchangeTimeoutError';
  }
}

/** The exchange cannot be reached now (circuit open, or it keeps failing). */
export class ExchangeUnavailableError extends Error {
  readonly code = 'exchange_unavailable';
  constructor(reason: string) {
    super(`the exchange is unavailable: ${reason}`);
    this.name = 'ExchangeUnavailableError';
  }
}

/** Whether orders can be routed now: the worker's circuit breaker, as the API sees it. */
export interface ExchangeAvailability {
  routable(): Promise<boolean>;
}

/** externalOrderId → our order (the `external_order_index` read model, seed 002). */
export interface ExternalOrderIndex {
  lookup(externalOrderId: string): Promise<{ orderId: string; accountId: string } | undefined>;
}
