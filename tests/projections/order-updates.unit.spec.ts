import { describe, expect, it } from 'vitest';
import { executionKey, orderUpdatesOf, positionKey, positionsToRead, type AppliedOrderEvent } from '../../application/orders/order-updates.ts';
import type { OrderView } from '../../application/orders/order-view.ts';

const accountId = '00000000-0000-4000-8000-0000000000aa';
const orderId = '00000000-0000-4000-8000-0000000000bb';
const base: OrderView = {
  id: orderId, clientOrderId: 'c-1', accountId, symbol: 'AAPL', side: 'buy', type: 'market', timeInForce: 'day', qty: 10, limitPriceCents: null,
  status: 'pending', filledQty: 0, avgFillPriceCents: null, externalOrderId: null, rejectReason: null, createdAt: '2026-12-01T10:00:00.000Z', updatedAt: '2026-12-01T10:00:00.000Z', version: 0,
};
const step = (type: string, order: Partial<OrderView>, data: unknown = { orderId, accountId }, at = '2026-12-01T10:00:01.000Z'): AppliedOrderEvent => ({ type, data, at, order: { ...base, ...order } });
const fill = (executionId: string, qty: number, filledQty: number, side: OrderView['side'] = 'buy') =>
  step('OrderFillRecorded', { side, filledQty, status: filledQty === 10 ? 'filled' : 'partially_filled', avgFillPriceCents: 15_000 }, { orderId, accountId, executionId, qty, priceCents: 15_000 });

describe('order updates, one per order event', () => {
  it('names each event as Alpaca’s trade_updates do, with the order as it stood after it', () => {
    const applied = [
      step('OrderPlaced', {}),
      step('OrderRoutingStarted', { version: 1 }),
      step('OrderSubmitted', { status: 'submitted', externalOrderId: 'X-1', version: 2 }),
      step('OrderCancelRequested', { status: 'pending_cancel', version: 3 }),
      step('OrderCanceled', { status: 'canceled', version: 4 }),
      step('OrderExpired', { status: 'expired' }),
      step('OrderRejected', { status: 'rejected', rejectReason: 'no' }),
      step('OrderFailed', { status: 'failed', rejectReason: 'exchange refused' }),
    ];
    const updates = orderUpdatesOf(applied, new Map(), new Map());
    expect(updates.map((update) => update.event)).toEqual(['pending_new', null, 'new', 'pending_cancel', 'canceled', 'expired', 'rejected', 'rejected']);
    expect(updates.map((update) => update.order.version)).toEqual([0, 1, 2, 3, 4, 0, 0, 0]);
    expect(updates.every((update) => update.fill === undefined && update.at === '2026-12-01T10:00:01.000Z')).toBe(true);
  });

  it('says nothing new for a submission that arrives after a cancel was asked for', () => {
    const [update] = orderUpdatesOf([step('OrderSubmitted', { status: 'pending_cancel' })], new Map(), new Map());
    expect(update!.event).toBeNull();
  });

  it('gives a fill settled in the same batch the exact position its settlement left', () => {
    const applied = [fill('E-1', 4, 4), fill('E-2', 6, 10)];
    const settled = new Map([[executionKey(orderId, 'E-1'), 104], [executionKey(orderId, 'E-2'), 110]]);
    const updates = orderUpdatesOf(applied, settled, new Map());
    expect(positionsToRead(applied, settled)).toEqual([]);
    expect(updates.map((update) => [update.event, update.fill])).toEqual([
      ['partial_fill', { executionId: 'E-1', qty: 4, priceCents: 15_000, positionQty: 104 }],
      ['fill', { executionId: 'E-2', qty: 6, priceCents: 15_000, positionQty: 110 }],
    ]);
  });

  it('asks for the position of a fill whose settlement comes later, and adds the fill to it (a sell subtracts)', () => {
    const buy = [fill('E-3', 10, 10)];
    expect(positionsToRead(buy, new Map())).toEqual([{ accountId, symbol: 'AAPL' }]);
    const after = new Map([[positionKey({ accountId, symbol: 'AAPL' }), 5]]);
    expect(orderUpdatesOf(buy, new Map(), after)[0]!.fill!.positionQty).toBe(15);
    expect(orderUpdatesOf([fill('E-4', 3, 3, 'sell')], new Map(), after)[0]!.fill!.positionQty).toBe(2);
    // No position yet: the fill is all there is.
    expect(orderUpdatesOf(buy, new Map(), new Map())[0]!.fill!.positionQty).toBe(10);
  });
});
