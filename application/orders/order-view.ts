import { averageFillPriceCents, type ExistingOrder, type OrderStatus } from '../../domain/order/order.ts';

/** The Order of api.md. */
export interface OrderView {
  readonly id: string;
  readonly clientOrderId: string;
  readonly accountId: string;
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
  readonly type: 'market' | 'limit';
  readonly timeInForce: 'day' | 'gtc' | 'ioc' | 'fok';
  readonly qty: number;
  readonly limitPriceCents: number | null;
  readonly status: OrderStatus;
  readonly filledQty: number;
  readonly avgFillPriceCents: number | null;
  readonly externalOrderId: string | null;
  readonly rejectReason: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly version: number;
}

export function orderView(order: ExistingOrder, meta: { createdAt: string; updatedAt: string; version: number }): OrderView {
  return {
    id: order.orderId,
    clientOrderId: order.clientOrderId,
    accountId: order.accountId,
    symbol: order.symbol,
    side: order.side,
    type: order.type,
    timeInForce: order.timeInForce,
    qty: order.qty,
    limitPriceCents: order.limitPriceCents,
    status: order.status,
    filledQty: order.filledQty,
    avgFillPriceCents: averageFillPriceCents(order),
    externalOrderId: order.externalOrderId,
    rejectReason: order.rejectReason,
    ...meta,
  };
}
