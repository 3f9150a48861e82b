import type { RecordedEvent } from '../../application/event-store/event-store.ts';
import type { OrderEvent, OrderStatus } from '../../domain/order/order.ts';
import { occurredAt, type RowProjection } from '../row-projection.ts';

export interface OrderRow {
  [column: string]: string | number | null;
  id: string;
  account_id: string;
  client_order_id: string;
  symbol: string;
  side: string;
  type: string;
  time_in_force: string;
  qty: number;
  limit_price_cents: number | null;
  status: OrderStatus;
  filled_qty: number;
  filled_value_cents: number;
  avg_fill_price_cents: number | null;
  external_order_id: string | null;
  reject_reason: string | null;
  created_at: string;
  updated_at: string;
  version: number;
}

const COLUMNS = [
  'id', 'account_id', 'client_order_id', 'symbol', 'side', 'type', 'time_in_force', 'qty', 'limit_price_cents', 'status',
  'filled_qty', 'filled_value_cents', 'avg_fill_price_cents', 'external_order_id', 'reject_reason', 'created_at', 'updated_at', 'version',
] as const;

function touched(row: OrderRow, event: RecordedEvent, change: Partial<OrderRow>): OrderRow {
  return { ...row, ...change, updated_at: occurredAt(event), version: Number(event.revision) };
}

/** `orders`: one row per order, as the API's Order. */
export const ordersProjection: RowProjection<OrderRow> = {
  name: 'orders',
  table: 'orders',
  keyColumns: ['account_id', 'id'],
  columns: COLUMNS,
  integerColumns: ['qty', 'limit_price_cents', 'filled_qty', 'filled_value_cents', 'avg_fill_price_cents', 'version'],
  handles: new Set<OrderEvent['type']>(['OrderPlaced', 'OrderRejected', 'OrderRoutingStarted', 'OrderSubmitted', 'OrderFillRecorded', 'OrderCancelRequested', 'OrderCanceled', 'OrderExpired', 'OrderFailed']),
  keyOf: (event) => {
    const data = event.data as { orderId: string; accountId: string };
    return { account_id: data.accountId, id: data.orderId };
  },
  evolve(row, recorded) {
    const event = { type: recorded.type, data: recorded.data } as OrderEvent;
    if (event.type === 'OrderPlaced') {
      const placed = event.data;
      const at = occurredAt(recorded);
      return {
        id: placed.orderId, account_id: placed.accountId, client_order_id: placed.clientOrderId, symbol: placed.symbol, side: placed.side,
        type: placed.type, time_in_force: placed.timeInForce, qty: placed.qty, limit_price_cents: placed.limitPriceCents, status: 'pending',
        filled_qty: 0, filled_value_cents: 0, avg_fill_price_cents: null, external_order_id: null, reject_reason: null,
        created_at: at, updated_at: at, version: Number(recorded.revision),
      };
    }
    if (!row) return null;
    switch (event.type) {
      case 'OrderRejected':
        return touched(row, recorded, { status: 'rejected', reject_reason: event.data.reason });
      case 'OrderRoutingStarted':
        return touched(row, recorded, {});
      case 'OrderSubmitted':
        return touched(row, recorded, { external_order_id: event.data.externalOrderId, status: row.status === 'pending' ? 'submitted' : row.status });
      case 'OrderFillRecorded': {
        const filledQty = row.filled_qty + event.data.qty;
        const filledValue = row.filled_value_cents + event.data.qty * event.data.priceCents;
        const status: OrderStatus = filledQty === row.qty ? 'filled' : row.status === 'pending_cancel' ? 'pending_cancel' : 'partially_filled';
        return touched(row, recorded, { filled_qty: filledQty, filled_value_cents: filledValue, avg_fill_price_cents: Math.round(filledValue / filledQty), status });
      }
      case 'OrderCancelRequested':
        return touched(row, recorded, { status: 'pending_cancel' });
      case 'OrderCanceled':
        return touched(row, recorded, { status: 'canceled' });
      case 'OrderExpired':
        return touched(row, recorded, { status: 'expired' });
      case 'OrderFailed':
        return touched(row, recorded, { status: 'failed', reject_reason: event.data.reason });
      default:
        return row;
    }
  },
};
