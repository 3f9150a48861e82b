import type { AccountEvent } from '../../domain/account/account.ts';
import type { RowProjection } from '../row-projection.ts';

export interface HoldRow {
  [column: string]: string;
  order_id: string;
  account_id: string;
  kind: 'cash' | 'shares';
  symbol: string;
}

/**
 * `holds`: the holds still open, one row per order, gone when the hold is released. The
 * reconciler finds here an order that ended while its hold stayed (a crash between the order's
 * end and the release, which are two streams).
 */
export const holdsProjection: RowProjection<HoldRow> = {
  name: 'holds',
  table: 'holds',
  keyColumns: ['order_id'],
  columns: ['order_id', 'account_id', 'kind', 'symbol'],
  integerColumns: [],
  handles: new Set<AccountEvent['type']>(['FundsReserved', 'SharesReserved', 'ReservationReleased']),
  keyOf: (event) => ({ order_id: (event.data as { orderId: string }).orderId }),
  evolve(row, recorded) {
    const event = { type: recorded.type, data: recorded.data } as AccountEvent;
    switch (event.type) {
      case 'FundsReserved':
      case 'SharesReserved':
        return row ?? { order_id: event.data.orderId, account_id: event.data.accountId, kind: event.type === 'FundsReserved' ? 'cash' : 'shares', symbol: event.data.symbol };
      case 'ReservationReleased':
        return null;
      default:
        return row;
    }
  },
};
