import { describe, expect, it } from 'vitest';
import { dollars, OrderLifecycleExport, toCsv } from '../../application/audit/order-lifecycle-export.ts';
import type { RecordedEvent } from '../../application/event-store/event-store.ts';

let position = 0n;
const at = (iso: string, type: string, data: Record<string, unknown>): RecordedEvent => ({
  streamId: `order-${String(data.orderId)}`,
  revision: 0n,
  position: (position += 1n),
  id: `00000000-0000-4000-8000-${String(position).padStart(12, '0')}`,
  type,
  data,
  metadata: { correlationId: 'c', causationId: 'c', principal: 'account:a' },
  recordedAt: new Date(iso),
  hash: '',
});

const day = (event: RecordedEvent) => event.recordedAt.toISOString().startsWith('2026-11-23');

describe('order lifecycle export (CAT-style)', () => {
  it('given an order placed, routed, filled in two parts on the day, then one record per step, linked by order id', () => {
    const ids = { orderId: 'o1', accountId: 'a1' };
    const records = new OrderLifecycleExport().records(
      [
        at('2026-11-23T14:30:00.001Z', 'OrderPlaced', { ...ids, clientOrderId: 'c1', symbol: 'AAPL', side: 'buy', type: 'limit', qty: 10, limitPriceCents: 18_905, timeInForce: 'day' }),
        at('2026-11-23T14:30:00.050Z', 'OrderRoutingStarted', ids),
        at('2026-11-23T14:30:00.120Z', 'OrderSubmitted', { ...ids, externalOrderId: 'X-9' }),
        at('2026-11-23T14:30:01.000Z', 'OrderFillRecorded', { ...ids, executionId: 'e1', qty: 4, priceCents: 18_900 }),
        at('2026-11-23T14:30:02.000Z', 'OrderFillRecorded', { ...ids, executionId: 'e2', qty: 6, priceCents: 5 }),
      ],
      day,
    );
    expect(records.map((r) => r.eventType)).toEqual(['MENO', 'MEOR', 'MEOF', 'MEOF']);
    expect(records[0]).toMatchObject({ orderId: 'o1', clientOrderId: 'c1', side: 'B', orderType: 'LMT', timeInForce: 'DAY', quantity: 10, price: '189.05', eventTimestamp: '2026-11-23T14:30:00.001Z' });
    expect(records[1]).toMatchObject({ routedOrderId: 'X-9', symbol: 'AAPL' });
    expect(records[3]).toMatchObject({ executionId: 'e2', quantity: 6, price: '0.05' });
  });

  it('given an order placed the day before and canceled today, then only the cancel is reported, still carrying the order facts', () => {
    const ids = { orderId: 'o2', accountId: 'a1' };
    const records = new OrderLifecycleExport().records(
      [
        at('2026-11-22T20:00:00.000Z', 'OrderPlaced', { ...ids, clientOrderId: 'c2', symbol: 'TSLA', side: 'sell', type: 'market', qty: 1, limitPriceCents: null, timeInForce: 'gtc' }),
        at('2026-11-23T09:00:00.000Z', 'OrderCanceled', ids),
        at('2026-11-23T09:00:00.000Z', 'OrderRejected', { orderId: 'o3', accountId: 'a1', reason: 'insufficient_buying_power' }),
      ],
      day,
    );
    expect(records.map((r) => [r.eventType, r.orderId, r.clientOrderId, r.side, r.reason])).toEqual([
      ['MEOC', 'o2', 'c2', 'SL', 'canceled'],
      ['MEOJ', 'o3', null, null, 'insufficient_buying_power'],
    ]);
  });

  it('writes dollars from cents without floats, and CSV that quotes what needs quoting', () => {
    expect([dollars(0), dollars(7), dollars(1_000_001), dollars(-250)]).toEqual(['0.00', '0.07', '10000.01', '-2.50']);
    const csv = toCsv(new OrderLifecycleExport().records([at('2026-11-23T10:00:00.000Z', 'OrderRejected', { orderId: 'o4', accountId: 'a1', reason: 'bad, "quoted"' })], day));
    expect(csv.split('\r\n')[1]).toContain('"bad, ""quoted"""');
  });
});
