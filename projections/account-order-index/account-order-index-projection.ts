import type { RecordedEvent } from '../../application/event-store/event-store.ts';
import { isTerminal, type OrderEvent, type OrderStatus } from '../../domain/order/order.ts';
import type { RowProjection } from '../row-projection.ts';

export interface AccountOrderIndexRow {
  [column: string]: string | number | null;
  account_id: string;
  order_id: string;
  status: OrderStatus;
  qty: number;
  filled_qty: number;
  /** Where and when (by the store's clock) the order was placed. */
  placed_position: string;
  placed_at: string;
  /** The latest `recordedAt` of the order's events so far. */
  seen_until: string;
  /** The event after which the order is ended for good (null while open): its position, and `seen_until` then. */
  closed_position: string | null;
  closed_at: string | null;
}

function statusAfter(row: AccountOrderIndexRow, event: OrderEvent): { status: OrderStatus; filledQty: number } {
  const filledQty = row.filled_qty;
  switch (event.type) {
    case 'OrderRejected':
      return { status: 'rejected', filledQty };
    case 'OrderSubmitted':
      return { status: row.status === 'pending' ? 'submitted' : row.status, filledQty };
    case 'OrderFillRecorded': {
      const filled = filledQty + event.data.qty;
      return { status: filled === row.qty ? 'filled' : row.status === 'pending_cancel' ? 'pending_cancel' : 'partially_filled', filledQty: filled };
    }
    case 'OrderCancelRequested':
      return { status: 'pending_cancel', filledQty };
    case 'OrderCanceled':
      return { status: 'canceled', filledQty };
    case 'OrderExpired':
      return { status: 'expired', filledQty };
    case 'OrderFailed':
      return { status: 'failed', filledQty };
    default:
      return { status: row.status, filledQty };
  }
}

const later = (a: string, b: string): string => (new Date(a).getTime() >= new Date(b).getTime() ? a : b);

/**
 * `account_order_index`: every order of an account with where it was placed and where it ended,
 * so the audit's point-in-time state reads only the order streams that may have been open at a
 * past moment instead of every order the account ever had. Statuses follow the order decider's
 * `evolve`; an order that ends is "closed" from that event on (a terminal status never reopens).
 */
export const accountOrderIndexProjection: RowProjection<AccountOrderIndexRow> = {
  name: 'account_order_index',
  table: 'account_order_index',
  keyColumns: ['account_id', 'order_id'],
  columns: ['account_id', 'order_id', 'status', 'qty', 'filled_qty', 'placed_position', 'placed_at', 'seen_until', 'closed_position', 'closed_at'],
  integerColumns: ['qty', 'filled_qty'],
  handles: new Set<OrderEvent['type']>(['OrderPlaced', 'OrderRejected', 'OrderRoutingStarted', 'OrderSubmitted', 'OrderFillRecorded', 'OrderCancelRequested', 'OrderCanceled', 'OrderExpired', 'OrderFailed']),
  keyOf: (event) => {
    const data = event.data as { orderId: string; accountId: string };
    return { account_id: data.accountId, order_id: data.orderId };
  },
  evolve(row, recorded: RecordedEvent) {
    const event = { type: recorded.type, data: recorded.data } as OrderEvent;
    const at = recorded.recordedAt.toISOString();
    if (event.type === 'OrderPlaced') {
      if (row) return row;
      const placed = event.data;
      const position = recorded.position.toString();
      return {
        account_id: placed.accountId, order_id: placed.orderId, status: 'pending', qty: placed.qty, filled_qty: 0,
        placed_position: position, placed_at: at, seen_until: at, closed_position: null, closed_at: null,
      };
    }
    if (!row) return null;
    const { status, filledQty } = statusAfter(row, event);
    const seenUntil = later(row.seen_until, at);
    const closed = isTerminal(status);
    return {
      ...row,
      status,
      filled_qty: filledQty,
      seen_until: seenUntil,
      closed_position: closed ? (row.closed_position ?? recorded.position.toString()) : null,
      closed_at: closed ? (row.closed_at ?? seenUntil) : null,
    };
  },
};
