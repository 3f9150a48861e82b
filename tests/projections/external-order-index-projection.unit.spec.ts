import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../application/event-store/event-store.ts';
import type { OrderEvent } from '../../domain/order/order.ts';
import { externalOrderIndexProjection, type ExternalOrderRow } from '../../projections/external-order-index/external-order-index-projection.ts';

const first = { orderId: '00000000-0000-4000-8000-000000000001', accountId: '00000000-0000-4000-8000-0000000000a1' };
const second = { orderId: '00000000-0000-4000-8000-000000000002', accountId: '00000000-0000-4000-8000-0000000000a2' };

function recorded(event: OrderEvent, position: number): RecordedEvent {
  return { streamId: `order-${(event.data as { orderId: string }).orderId}`, revision: 0n, position: BigInt(position), id: `e${position}`, type: event.type, data: event.data, metadata: { correlationId: '', causationId: '', principal: '' }, recordedAt: new Date(0), hash: '' };
}

/** given(events).then(row of the external id they name) */
const given = (...events: OrderEvent[]): ExternalOrderRow | null => events.reduce<ExternalOrderRow | null>((row, event, i) => externalOrderIndexProjection.evolve(row, recorded(event, i + 1)), null);

describe('external order index', () => {
  it('given an order the exchange accepted, then its id names that order and account', () => {
    expect(given({ type: 'OrderSubmitted', data: { ...first, externalOrderId: 'EX-S1-00000001' } })).toEqual({ external_order_id: 'EX-S1-00000001', order_id: first.orderId, account_id: first.accountId });
  });

  it('given the same exchange id given to a second order, then it still names the first: one id never maps to two orders', () => {
    const row = given({ type: 'OrderSubmitted', data: { ...first, externalOrderId: 'EX-00000001' } }, { type: 'OrderSubmitted', data: { ...second, externalOrderId: 'EX-00000001' } });
    expect(row).toEqual({ external_order_id: 'EX-00000001', order_id: first.orderId, account_id: first.accountId });
  });

  it('keys each row by the exchange id alone', () => {
    expect(externalOrderIndexProjection.keyOf(recorded({ type: 'OrderSubmitted', data: { ...second, externalOrderId: 'EX-S2-00000009' } }, 1))).toEqual({ external_order_id: 'EX-S2-00000009' });
  });
});
