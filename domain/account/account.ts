import { Map as PersistentMap, Set as PersistentSet } from 'immutable';
import type { Decider } from '../shared/decider.ts';
import { DomainError } from '../shared/domain-error.ts';
import { assertPositiveWhole, multiplyCents } from '../shared/money.ts';

/**
 * The account ledger: cash, holds on cash for open buys, holds on shares for open sells, and
 * positions with their cost basis. Invariants (design.md 1–4): cash ≥ 0, reserved ≤ cash,
 * a fill settles once, a hold is released when its order ends, no short selling.
 */

export type Side = 'buy' | 'sell';

export interface CashHold {
  readonly kind: 'cash';
  readonly symbol: string;
  /** Cents still held. */
  readonly amountCents: number;
  /** Cents held per share: the limit price, or the ask with the collar for a market buy. */
  readonly perShareCents: number;
  /** Shares of the order not yet filled. */
  readonly qty: number;
}

export interface ShareHold {
  readonly kind: 'shares';
  readonly symbol: string;
  readonly qty: number;
}

export interface Position {
  readonly qty: number;
  readonly reservedQty: number;
  /** What the shares held cost, in cents; average cost is costBasisCents / qty. */
  readonly costBasisCents: number;
}

export interface AccountState {
  readonly cashCents: number;
  readonly reservedCents: number;
  readonly positions: Readonly<Record<string, Position>>;
  readonly holds: Readonly<Record<string, CashHold | ShareHold>>;
  // The three collections below only grow with the account's history: persistent (structurally
  // shared) collections keep each event's fold O(log n) instead of copying them whole.
  /** Orders whose holds were released: a late retry of their reservation must not hold again. */
  readonly closedOrders: PersistentSet<string>;
  readonly settledExecutions: PersistentSet<string>;
  readonly idempotencyKeys: PersistentMap<string, { readonly kind: 'deposit' | 'withdrawal'; readonly amountCents: number }>;
}

export const emptyAccount: AccountState = {
  cashCents: 0,
  reservedCents: 0,
  positions: {},
  holds: {},
  closedOrders: PersistentSet<string>(),
  settledExecutions: PersistentSet<string>(),
  idempotencyKeys: PersistentMap<string, { readonly kind: 'deposit' | 'withdrawal'; readonly amountCents: number }>(),
};

// ── commands ─────────────────────────────────────────────────────────────────────────────────
export type AccountCommand =
  | { type: 'DepositFunds'; data: { accountId: string; amountCents: number; idempotencyKey: string } }
  | { type: 'WithdrawFunds'; data: { accountId: string; amountCents: number; idempotencyKey: string } }
  | { type: 'ReserveForBuy'; data: { accountId: string; orderId: string; symbol: string; qty: number; perShareCents: number } }
  | { type: 'ReserveForSell'; data: { accountId: string; orderId: string; symbol: string; qty: number } }
  | { type: 'SettleFill'; data: { accountId: string; orderId: string; executionId: string; side: Side; symbol: string; qty: number; priceCents: number } }
  | { type: 'ReleaseReservation'; data: { accountId: string; orderId: string } };

// ── events ───────────────────────────────────────────────────────────────────────────────────
export type AccountEvent =
  | { type: 'FundsDeposited'; data: { accountId: string; amountCents: number; idempotencyKey: string } }
  | { type: 'FundsWithdrawn'; data: { accountId: string; amountCents: number; idempotencyKey: string } }
  | { type: 'FundsReserved'; data: { accountId: string; orderId: string; symbol: string; qty: number; perShareCents: number; amountCents: number } }
  | { type: 'SharesReserved'; data: { accountId: string; orderId: string; symbol: string; qty: number } }
  | {
      type: 'BuyFillSettled';
      data: { accountId: string; orderId: string; executionId: string; symbol: string; qty: number; priceCents: number; costCents: number; releasedHoldCents: number };
    }
  | {
      type: 'SellFillSettled';
      data: { accountId: string; orderId: string; executionId: string; symbol: string; qty: number; priceCents: number; proceedsCents: number; costBasisSoldCents: number };
    }
  | { type: 'ReservationReleased'; data: { accountId: string; orderId: string; holdKind: 'cash' | 'shares' | 'none'; symbol: string; amountCents: number; qty: number } };

export function buyingPowerCents(state: AccountState): number {
  return state.cashCents - state.reservedCents;
}

export function accountStreamId(accountId: string): string {
  return `account-${accountId}`;
}

// ── decide ───────────────────────────────────────────────────────────────────────────────────
function moveFunds(
  kind: 'deposit' | 'withdrawal',
  data: { accountId: string; amountCents: number; idempotencyKey: string },
  state: AccountState,
): AccountEvent[] {
  assertPositiveWhole(data.amountCents, 'amount');
  const seen = state.idempotencyKeys.get(data.idempotencyKey);
  if (seen) {
    if (seen.kind === kind && seen.amountCents === data.amountCents) return [];
    throw new DomainError('idempotency_conflict', `idempotency key ${data.idempotencyKey} was used for another request`);
  }
  if (kind === 'deposit') return [{ type: 'FundsDeposited', data }];
  if (data.amountCents > buyingPowerCents(state)) {
    throw new DomainError('insufficient_funds', 'the withdrawal exceeds the cash that is not reserved', {
      withdrawableCents: buyingPowerCents(state),
    });
  }
  return [{ type: 'FundsWithdrawn', data }];
}

/** A hold was taken for the order, or its hold is already closed. */
export function holdHandled(state: AccountState, orderId: string): boolean {
  return orderId in state.holds || state.closedOrders.has(orderId);
}

function reserveForBuy(data: Extract<AccountCommand, { type: 'ReserveForBuy' }>['data'], state: AccountState): AccountEvent[] {
  if (holdHandled(state, data.orderId)) return [];
  assertPositiveWhole(data.qty, 'qty');
  assertPositiveWhole(data.perShareCents, 'price');
  const amountCents = multiplyCents(data.qty, data.perShareCents);
  if (amountCents > buyingPowerCents(state)) {
    throw new DomainError('insufficient_buying_power', 'the order needs more buying power than the account has', {
      requiredCents: amountCents,
      buyingPowerCents: buyingPowerCents(state),
    });
  }
  return [{ type: 'FundsReserved', data: { ...data, amountCents } }];
}

function reserveForSell(data: Extract<AccountCommand, { type: 'ReserveForSell' }>['data'], state: AccountState): AccountEvent[] {
  if (holdHandled(state, data.orderId)) return [];
  assertPositiveWhole(data.qty, 'qty');
  const position = state.positions[data.symbol];
  const available = position ? position.qty - position.reservedQty : 0;
  if (data.qty > available) {
    throw new DomainError('insufficient_position', `the account holds ${available} ${data.symbol} shares that are not already reserved`, {
      availableQty: available,
    });
  }
  return [{ type: 'SharesReserved', data }];
}

function settleFill(data: Extract<AccountCommand, { type: 'SettleFill' }>['data'], state: AccountState): AccountEvent[] {
  if (state.settledExecutions.has(data.executionId)) return [];
  assertPositiveWhole(data.qty, 'qty');
  assertPositiveWhole(data.priceCents, 'price');
  const hold = state.holds[data.orderId];
  const { accountId, orderId, executionId, symbol, qty, priceCents } = data;
  if (data.side === 'buy') {
    if (!hold || hold.kind !== 'cash') throw new DomainError('unknown_order', `no cash is held for order ${orderId}`);
    if (qty > hold.qty) throw new DomainError('overfill', `order ${orderId} has ${hold.qty} shares left to fill`);
    if (priceCents > hold.perShareCents) {
      throw new DomainError('fill_above_reserved_price', `a fill at ${priceCents} exceeds the ${hold.perShareCents} reserved per share`);
    }
    const costCents = multiplyCents(qty, priceCents);
    return [{ type: 'BuyFillSettled', data: { accountId, orderId, executionId, symbol, qty, priceCents, costCents, releasedHoldCents: multiplyCents(qty, hold.perShareCents) } }];
  }
  if (!hold || hold.kind !== 'shares') throw new DomainError('unknown_order', `no shares are held for order ${orderId}`);
  if (qty > hold.qty) throw new DomainError('overfill', `order ${orderId} has ${hold.qty} shares left to fill`);
  const position = state.positions[symbol]!;
  const costBasisSoldCents = qty === position.qty ? position.costBasisCents : Math.floor((position.costBasisCents * qty) / position.qty);
  return [
    { type: 'SellFillSettled', data: { accountId, orderId, executionId, symbol, qty, priceCents, proceedsCents: multiplyCents(qty, priceCents), costBasisSoldCents } },
  ];
}

function releaseReservation(data: Extract<AccountCommand, { type: 'ReleaseReservation' }>['data'], state: AccountState): AccountEvent[] {
  if (state.closedOrders.has(data.orderId)) return [];
  const hold = state.holds[data.orderId];
  if (!hold) {
    // Nothing was ever held (the order was refused before): remember it, so no hold comes later.
    return [{ type: 'ReservationReleased', data: { accountId: data.accountId, orderId: data.orderId, holdKind: 'none', symbol: '', amountCents: 0, qty: 0 } }];
  }
  return [
    {
      type: 'ReservationReleased',
      data: { accountId: data.accountId, orderId: data.orderId, holdKind: hold.kind, symbol: hold.symbol, amountCents: hold.kind === 'cash' ? hold.amountCents : 0, qty: hold.qty },
    },
  ];
}

export function decide(command: AccountCommand, state: AccountState): AccountEvent[] {
  switch (command.type) {
    case 'DepositFunds':
      return moveFunds('deposit', command.data, state);
    case 'WithdrawFunds':
      return moveFunds('withdrawal', command.data, state);
    case 'ReserveForBuy':
      return reserveForBuy(command.data, state);
    case 'ReserveForSell':
      return reserveForSell(command.data, state);
    case 'SettleFill':
      return settleFill(command.data, state);
    case 'ReleaseReservation':
      return releaseReservation(command.data, state);
    default: {
      const unknown: never = command;
      throw new Error(`unknown account command ${JSON.stringify(unknown)}`);
    }
  }
}

// ── evolve ───────────────────────────────────────────────────────────────────────────────────
function withPosition(state: AccountState, symbol: string, change: (position: Position) => Position): AccountState {
  const next = change(state.positions[symbol] ?? { qty: 0, reservedQty: 0, costBasisCents: 0 });
  const positions = { ...state.positions };
  if (next.qty === 0 && next.reservedQty === 0) delete positions[symbol];
  else positions[symbol] = next;
  return { ...state, positions };
}

function withoutHold(holds: AccountState['holds'], orderId: string): AccountState['holds'] {
  const rest = { ...holds };
  delete rest[orderId];
  return rest;
}

export function evolve(state: AccountState, event: AccountEvent): AccountState {
  switch (event.type) {
    case 'FundsDeposited':
    case 'FundsWithdrawn': {
      const sign = event.type === 'FundsDeposited' ? 1 : -1;
      const kind = event.type === 'FundsDeposited' ? 'deposit' : 'withdrawal';
      return {
        ...state,
        cashCents: state.cashCents + sign * event.data.amountCents,
        idempotencyKeys: state.idempotencyKeys.set(event.data.idempotencyKey, { kind, amountCents: event.data.amountCents }),
      };
    }
    case 'FundsReserved': {
      const { orderId, symbol, qty, perShareCents, amountCents } = event.data;
      return {
        ...state,
        reservedCents: state.reservedCents + amountCents,
        holds: { ...state.holds, [orderId]: { kind: 'cash', symbol, amountCents, perShareCents, qty } },
      };
    }
    case 'SharesReserved': {
      const { orderId, symbol, qty } = event.data;
      const reserved = withPosition(state, symbol, (position) => ({ ...position, reservedQty: position.reservedQty + qty }));
      return { ...reserved, holds: { ...state.holds, [orderId]: { kind: 'shares', symbol, qty } } };
    }
    case 'BuyFillSettled': {
      const { orderId, executionId, symbol, qty, costCents, releasedHoldCents } = event.data;
      const hold = state.holds[orderId] as CashHold;
      const bought = withPosition(state, symbol, (position) => ({ ...position, qty: position.qty + qty, costBasisCents: position.costBasisCents + costCents }));
      return {
        ...bought,
        cashCents: state.cashCents - costCents,
        reservedCents: state.reservedCents - releasedHoldCents,
        holds: { ...state.holds, [orderId]: { ...hold, amountCents: hold.amountCents - releasedHoldCents, qty: hold.qty - qty } },
        settledExecutions: state.settledExecutions.add(executionId),
      };
    }
    case 'SellFillSettled': {
      const { orderId, executionId, symbol, qty, proceedsCents, costBasisSoldCents } = event.data;
      const hold = state.holds[orderId] as ShareHold;
      const sold = withPosition(state, symbol, (position) => ({
        qty: position.qty - qty,
        reservedQty: position.reservedQty - qty,
        costBasisCents: position.costBasisCents - costBasisSoldCents,
      }));
      return {
        ...sold,
        cashCents: state.cashCents + proceedsCents,
        holds: { ...state.holds, [orderId]: { ...hold, qty: hold.qty - qty } },
        settledExecutions: state.settledExecutions.add(executionId),
      };
    }
    case 'ReservationReleased': {
      const { orderId, symbol, amountCents, qty } = event.data;
      const hold = state.holds[orderId];
      const released = hold?.kind === 'shares' ? withPosition(state, symbol, (position) => ({ ...position, reservedQty: position.reservedQty - qty })) : state;
      return {
        ...released,
        reservedCents: state.reservedCents - amountCents,
        holds: withoutHold(state.holds, orderId),
        closedOrders: state.closedOrders.add(orderId),
      };
    }
    default:
      return state;
  }
}

export const accountDecider: Decider<AccountCommand, AccountEvent, AccountState> = {
  initialState: emptyAccount,
  decide,
  evolve,
};
