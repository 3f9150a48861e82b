import type { OrderView } from '../orders/order-view.ts';
import type { ActivityView, OrderStatusFilter } from './queries.ts';

/** Orders by status, symbols, side and submission time (exclusive bounds), oldest or newest first. */
export interface OrderSearch {
  readonly status: OrderStatusFilter;
  readonly symbols?: readonly string[];
  readonly side?: 'buy' | 'sell';
  readonly after?: string;
  readonly until?: string;
  readonly direction: 'asc' | 'desc';
  readonly limit: number;
}

/** Ledger entries by kind and time (exclusive bounds), continuing after one already seen. */
export interface ActivitySearch {
  readonly types?: readonly ActivityView['activityType'][];
  readonly after?: string;
  readonly until?: string;
  readonly direction: 'asc' | 'desc';
  readonly limit: number;
  /** The id of the last entry of the previous page. */
  readonly afterActivityId?: string;
}

/** A fill entry with how much of its order had filled once it settled. */
export interface ActivityWithProgress extends ActivityView {
  readonly fill: { readonly cumQty: number; readonly orderQty: number } | undefined;
}

/** The searches of the Alpaca-compatible face, over the same read models, scoped to one account. */
export interface ReadModelSearches {
  searchOrders(accountId: string, search: OrderSearch): Promise<OrderView[]>;
  searchActivities(accountId: string, search: ActivitySearch): Promise<ActivityWithProgress[]>;
}
