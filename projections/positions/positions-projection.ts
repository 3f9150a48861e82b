import type { AccountEvent } from '../../domain/account/account.ts';
import type { RowProjection } from '../row-projection.ts';

export interface PositionRow {
  [column: string]: string | number;
  account_id: string;
  symbol: string;
  qty: number;
  reserved_qty: number;
  cost_basis_cents: number;
}

/** `positions`: shares held and reserved per account and symbol, with their cost basis. */
export const positionsProjection: RowProjection<PositionRow> = {
  name: 'positions',
  table: 'positions',
  keyColumns: ['account_id', 'symbol'],
  columns: ['account_id', 'symbol', 'qty', 'reserved_qty', 'cost_basis_cents'],
  integerColumns: ['qty', 'reserved_qty', 'cost_basis_cents'],
  handles: new Set<AccountEvent['type']>(['SharesReserved', 'BuyFillSettled', 'SellFillSettled', 'ReservationReleased']),
  keyOf: (event) => {
    const data = event.data as { accountId: string; symbol: string };
    return { account_id: data.accountId, symbol: data.symbol };
  },
  evolve(row, recorded) {
    const event = { type: recorded.type, data: recorded.data } as AccountEvent;
    if (event.type === 'FundsDeposited' || event.type === 'FundsWithdrawn' || event.type === 'FundsReserved') return row;
    if (event.type === 'ReservationReleased' && event.data.holdKind !== 'shares') return row;
    const current = row ?? { account_id: event.data.accountId, symbol: event.data.symbol, qty: 0, reserved_qty: 0, cost_basis_cents: 0 };
    let next: PositionRow;
    switch (event.type) {
      case 'SharesReserved':
        next = { ...current, reserved_qty: current.reserved_qty + event.data.qty };
        break;
      case 'BuyFillSettled':
        next = { ...current, qty: current.qty + event.data.qty, cost_basis_cents: current.cost_basis_cents + event.data.costCents };
        break;
      case 'SellFillSettled':
        next = { ...current, qty: current.qty - event.data.qty, reserved_qty: current.reserved_qty - event.data.qty, cost_basis_cents: current.cost_basis_cents - event.data.costBasisSoldCents };
        break;
      case 'ReservationReleased':
        next = { ...current, reserved_qty: current.reserved_qty - event.data.qty };
        break;
    }
    return next.qty === 0 && next.reserved_qty === 0 ? null : next;
  },
};
