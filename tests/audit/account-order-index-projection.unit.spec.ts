import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../application/event-store/event-store.ts';
import type { OrderEvent } from '../../domain/order/order.ts';
import { accountOrderIndexProjection, type AccountOrderIndexRow } from '../../projections/account-order-index/account-order-index-projection.ts';

const accountId = '00000000-0000-4000-8000-000000000001';
const orderId = '00000000-0000-4000-8000-000000000002';
const ids = { orderId, accountId };
const t0 = Date.parse('2026-01-31T12:00:00.000Z');

function recorded(event: OrderEvent, position: number, recordedAtMs: number): RecordedEvent {
  return { streamId: `order-${orderId}`, revision: BigInt(position), position: BigInt(position), id: `e${position}`, type: event.type, data: event.data, metadata: { correlationId: '', causationId: '', principal: '' }, recordedAt: new Date(recordedAtMs), hash: '' };
}

const placed: OrderEvent = { type: 'OrderPlaced', data: { ...ids, clientOrderId: 'c1', symbol: 'AAPL', side: 'buy', type: 'limit', qty: 10, limitPriceCents: 15_000, timeInForce: 'gtc' } };
const submitted: OrderEvent = { type: 'OrderSubmitted', data: { ...ids, externalOrderId: 'ex1' } };
const fill = (qty: number, executionId: string): OrderEvent => ({ type: 'OrderFillRecorded', data: { ...ids, executionId, qty, priceCents: 15_000 } });

/** given(events at positions 1, 2, …, recorded at the times given).then(row) */
function given(...events: Array<[OrderEvent, number]>): AccountOrderIndexRow | null {
  return events.reduce<AccountOrderIndexRow | null>((row, [event, ms], i) => accountOrderIndexProjection.evolve(row, recorded(event, i + 1, t0 + ms)), null);
}

describe('account order index', () => {
  it('given a placed order, then it is indexed open, where and when it was placed', () => {
    expect(given([placed, 0])).toEqual({
      account_id: accountId, order_id: orderId, status: 'pending', qty: 10, filled_qty: 0,
      placed_position: '1', placed_at: '2026-01-31T12:00:00.000Z', seen_until: '2026-01-31T12:00:00.000Z', closed_position: null, closed_at: null,
    });
  });

  it('given a partial fill, then it stays open', () => {
    expect(given([placed, 0], [submitted, 5], [fill(4, 'x1'), 9])).toMatchObject({ status: 'partially_filled', filled_qty: 4, closed_position: null });
  });

  it('given the fill that completes it, then it is closed at that event', () => {
    expect(given([placed, 0], [submitted, 5], [fill(4, 'x1'), 9], [fill(6, 'x2'), 12])).toMatchObject({
      status: 'filled', closed_position: '4', closed_at: '2026-01-31T12:00:00.012Z',
    });
  });

  it('given a cancel requested, then it is still open; confirmed, then closed', () => {
    const requested = given([placed, 0], [submitted, 1], [{ type: 'OrderCancelRequested', data: ids }, 2]);
    expect(requested).toMatchObject({ status: 'pending_cancel', closed_position: null });
    expect(given([placed, 0], [submitted, 1], [{ type: 'OrderCancelRequested', data: ids }, 2], [{ type: 'OrderCanceled', data: ids }, 3])).toMatchObject({ status: 'canceled', closed_position: '4' });
  });

  it.each([
    [{ type: 'OrderRejected', data: { ...ids, reason: 'insufficient_buying_power' } } as OrderEvent, 'rejected'],
    [{ type: 'OrderExpired', data: ids } as OrderEvent, 'expired'],
    [{ type: 'OrderFailed', data: { ...ids, reason: 'x' } } as OrderEvent, 'failed'],
  ])('given %o, then it is closed as %s', (event, status) => {
    expect(given([placed, 0], [event, 1])).toMatchObject({ status, closed_position: '2' });
  });

  it('given an event after it ended, then it stays closed where it first ended', () => {
    expect(given([placed, 0], [{ type: 'OrderCanceled', data: ids }, 1], [submitted, 2])).toMatchObject({ status: 'canceled', closed_position: '2' });
  });

  it('given a clock that stepped back, then closed_at is the latest time seen up to the end', () => {
    expect(given([placed, 50], [{ type: 'OrderCanceled', data: ids }, 10])).toMatchObject({ seen_until: '2026-01-31T12:00:00.050Z', closed_at: '2026-01-31T12:00:00.050Z' });
  });

  it('given an event of an order it never saw placed, then there is no row', () => {
    expect(given([submitted, 0])).toBeNull();
  });
});
