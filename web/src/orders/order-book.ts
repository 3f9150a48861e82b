import type { Order, OrderStatus } from '../api/contract.ts';
import { formatCents } from '../money/cents.ts';

const OPEN: ReadonlySet<OrderStatus> = new Set(['pending', 'submitted', 'partially_filled', 'pending_cancel']);

export const isOpen = (order: Order): boolean => OPEN.has(order.status);

/** Each status in words: the status column says it, colour only repeats it. */
export const STATUS_TEXT: Record<OrderStatus, string> = {
  pending: 'pending',
  submitted: 'open',
  partially_filled: 'partially filled',
  filled: 'filled',
  pending_cancel: 'canceling',
  canceled: 'canceled',
  rejected: 'rejected',
  failed: 'failed',
  expired: 'expired',
};

/** `buy 10 AAPL limit $150.00` */
export function orderSummary(order: Order): string {
  const price = order.type === 'limit' && order.limitPriceCents !== null ? ` limit ${formatCents(order.limitPriceCents)}` : ' market';
  return `${order.side} ${order.qty} ${order.symbol}${price}`;
}

/**
 * The orders with `order` in them, unless an as new or newer version is already there (the socket
 * and a list read can cross). The same map when nothing changed.
 */
export function mergeOrder(orders: ReadonlyMap<string, Order>, order: Order): ReadonlyMap<string, Order> {
  const known = orders.get(order.id);
  if (known && known.version >= order.version) return orders;
  return new Map(orders).set(order.id, order);
}

/** Newest first. */
export function byNewest(orders: Iterable<Order>): Order[] {
  return [...orders].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
}
