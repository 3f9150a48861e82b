import type { AccountView } from '../accounts/account-view.ts';
import type { OrderView } from '../orders/order-view.ts';

export interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

export interface PositionView {
  readonly symbol: string;
  readonly qty: number;
  readonly reservedQty: number;
  readonly avgCostCents: number;
  readonly costBasisCents: number;
}

export interface ActivityView {
  readonly id: string;
  readonly activityType: 'deposit' | 'withdrawal' | 'fill';
  readonly side: 'buy' | 'sell' | null;
  readonly symbol: string | null;
  readonly qty: number | null;
  readonly priceCents: number | null;
  readonly netAmountCents: number;
  readonly orderId: string | null;
  readonly occurredAt: string;
}

export type OrderStatusFilter = 'open' | 'closed' | 'all';

/** Queries over the read models; every one is scoped to one account. */
export interface ReadModelQueries {
  listOrders(accountId: string, filter: { status: OrderStatusFilter; symbol?: string; limit: number; cursor?: string }): Promise<Page<OrderView>>;
  getOrder(accountId: string, orderId: string): Promise<OrderView | undefined>;
  findOrderByClientOrderId(accountId: string, clientOrderId: string): Promise<OrderView | undefined>;
  getAccount(accountId: string): Promise<AccountView>;
  listPositions(accountId: string): Promise<PositionView[]>;
  listActivities(accountId: string, page: { limit: number; cursor?: string }): Promise<Page<ActivityView>>;
}

/** How far the read models have got through the global log. */
export interface ProjectionProgress {
  /** Position every read model has applied (-1 when none has applied anything). */
  appliedPosition(): Promise<bigint>;
}

export class InvalidCursorError extends Error {
  readonly code = 'invalid_request';
  constructor() {
    super('the cursor is not one this API gave out');
    this.name = 'InvalidCursorError';
  }
}
