import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../application/event-store/event-store.ts';
import type { AccountEvent } from '../../domain/account/account.ts';
import { holdsProjection, type HoldRow } from '../../projections/holds/holds-projection.ts';

const accountId = '00000000-0000-4000-8000-000000000001';
const orderId = '00000000-0000-4000-8000-000000000002';

function recorded(event: AccountEvent, position: number): RecordedEvent {
  return { streamId: `account-${accountId}`, revision: BigInt(position), position: BigInt(position), id: `e${position}`, type: event.type, data: event.data, metadata: { correlationId: '', causationId: '', principal: '' }, recordedAt: new Date(0), hash: '' };
}

/** given(events).then(row) */
const given = (...events: AccountEvent[]): HoldRow | null => events.reduce<HoldRow | null>((row, event, i) => holdsProjection.evolve(row, recorded(event, i + 1)), null);

const cash: AccountEvent = { type: 'FundsReserved', data: { accountId, orderId, symbol: 'AAPL', qty: 2, perShareCents: 100, amountCents: 200 } };
const shares: AccountEvent = { type: 'SharesReserved', data: { accountId, orderId, symbol: 'MSFT', qty: 3 } };
const released = (holdKind: 'cash' | 'shares' | 'none'): AccountEvent => ({ type: 'ReservationReleased', data: { accountId, orderId, holdKind, symbol: 'AAPL', amountCents: 0, qty: 0 } });

describe('holds', () => {
  it('given cash held for a buy, then the order has an open cash hold', () => {
    expect(given(cash)).toEqual({ order_id: orderId, account_id: accountId, kind: 'cash', symbol: 'AAPL' });
  });
  it('given shares held for a sell, then the order has an open share hold', () => {
    expect(given(shares)).toEqual({ order_id: orderId, account_id: accountId, kind: 'shares', symbol: 'MSFT' });
  });
  it('given a hold that was released, then there is none', () => {
    expect(given(cash, released('cash'))).toBeNull();
    expect(given(shares, released('shares'))).toBeNull();
  });
  it('given a release with nothing held (a refused order), then there is none', () => {
    expect(given(released('none'))).toBeNull();
  });
  it('keys each hold by its order, so the reconciler joins it to the order', () => {
    expect(holdsProjection.keyOf(recorded(cash, 1))).toEqual({ order_id: orderId });
  });
});
