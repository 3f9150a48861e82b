import type { AccountEvent } from '../../domain/account/account.ts';
import { occurredAt, type RowProjection } from '../row-projection.ts';

export interface AccountRow {
  [column: string]: string | number;
  account_id: string;
  cash_cents: number;
  reserved_cents: number;
  version: number;
  updated_at: string;
}

/** `accounts`: cash, reserved cash and the account stream's revision. */
export const accountsProjection: RowProjection<AccountRow> = {
  name: 'accounts',
  table: 'accounts',
  keyColumns: ['account_id'],
  columns: ['account_id', 'cash_cents', 'reserved_cents', 'version', 'updated_at'],
  integerColumns: ['cash_cents', 'reserved_cents', 'version'],
  handles: new Set<AccountEvent['type']>(['FundsDeposited', 'FundsWithdrawn', 'FundsReserved', 'SharesReserved', 'BuyFillSettled', 'SellFillSettled', 'ReservationReleased']),
  keyOf: (event) => ({ account_id: (event.data as { accountId: string }).accountId }),
  evolve(row, recorded) {
    const event = { type: recorded.type, data: recorded.data } as AccountEvent;
    const current = row ?? { account_id: event.data.accountId, cash_cents: 0, reserved_cents: 0, version: -1, updated_at: occurredAt(recorded) };
    const next = { ...current, version: Number(recorded.revision), updated_at: occurredAt(recorded) };
    switch (event.type) {
      case 'FundsDeposited':
        return { ...next, cash_cents: current.cash_cents + event.data.amountCents };
      case 'FundsWithdrawn':
        return { ...next, cash_cents: current.cash_cents - event.data.amountCents };
      case 'FundsReserved':
        return { ...next, reserved_cents: current.reserved_cents + event.data.amountCents };
      case 'BuyFillSettled':
        return { ...next, cash_cents: current.cash_cents - event.data.costCents, reserved_cents: current.reserved_cents - event.data.releasedHoldCents };
      case 'SellFillSettled':
        return { ...next, cash_cents: current.cash_cents + event.data.proceedsCents };
      case 'ReservationReleased':
        return { ...next, reserved_cents: current.reserved_cents - event.data.amountCents };
      default:
        return next;
    }
  },
};
