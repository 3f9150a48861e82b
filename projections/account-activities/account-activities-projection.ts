import type { AccountEvent } from '../../domain/account/account.ts';
import { occurredAt, type RowProjection } from '../row-projection.ts';

export interface ActivityRow {
  [column: string]: string | number | null;
  id: string;
  account_id: string;
  position: string;
  activity_type: 'deposit' | 'withdrawal' | 'fill';
  side: 'buy' | 'sell' | null;
  symbol: string | null;
  qty: number | null;
  price_cents: number | null;
  /** Cash effect, signed: + in, − out. */
  net_amount_cents: number;
  order_id: string | null;
  occurred_at: string;
}

/** `account_activities`: the ledger entries that move cash, newest first by global position. */
export const accountActivitiesProjection: RowProjection<ActivityRow> = {
  name: 'account_activities',
  table: 'account_activities',
  keyColumns: ['id'],
  columns: ['id', 'account_id', 'position', 'activity_type', 'side', 'symbol', 'qty', 'price_cents', 'net_amount_cents', 'order_id', 'occurred_at'],
  integerColumns: ['qty', 'price_cents', 'net_amount_cents'],
  handles: new Set<AccountEvent['type']>(['FundsDeposited', 'FundsWithdrawn', 'BuyFillSettled', 'SellFillSettled']),
  keyOf: (event) => ({ id: event.id }),
  evolve(row, recorded) {
    if (row) return row;
    const event = { type: recorded.type, data: recorded.data } as AccountEvent;
    const base = { id: recorded.id, account_id: event.data.accountId, position: recorded.position.toString(), occurred_at: occurredAt(recorded) };
    const noTrade = { side: null, symbol: null, qty: null, price_cents: null, order_id: null };
    switch (event.type) {
      case 'FundsDeposited':
        return { ...base, ...noTrade, activity_type: 'deposit', net_amount_cents: event.data.amountCents };
      case 'FundsWithdrawn':
        return { ...base, ...noTrade, activity_type: 'withdrawal', net_amount_cents: -event.data.amountCents };
      case 'BuyFillSettled':
      case 'SellFillSettled': {
        const buy = event.type === 'BuyFillSettled';
        const { symbol, qty, priceCents, orderId } = event.data;
        const net = buy ? -event.data.costCents : event.data.proceedsCents;
        return { ...base, activity_type: 'fill', side: buy ? 'buy' : 'sell', symbol, qty, price_cents: priceCents, net_amount_cents: net, order_id: orderId };
      }
      default:
        return null;
    }
  },
};
