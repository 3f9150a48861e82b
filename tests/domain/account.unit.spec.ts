import { describe, expect, it } from 'vitest';
import { accountDecider, buyingPowerCents, type AccountEvent } from '../../domain/account/account.ts';
import { fold } from '../../domain/shared/decider.ts';
import { deciderSpecification } from '../support/decider-specification.ts';

const { given } = deciderSpecification(accountDecider);
const accountId = 'a1';

const deposited = (amountCents: number, idempotencyKey = `dep-${amountCents}`): AccountEvent => ({ type: 'FundsDeposited', data: { accountId, amountCents, idempotencyKey } });
const cashHeld = (orderId: string, qty: number, perShareCents: number, symbol = 'AAPL'): AccountEvent => ({
  type: 'FundsReserved',
  data: { accountId, orderId, symbol, qty, perShareCents, amountCents: qty * perShareCents },
});
const bought = (orderId: string, executionId: string, qty: number, priceCents: number, perShareCents: number, symbol = 'AAPL'): AccountEvent => ({
  type: 'BuyFillSettled',
  data: { accountId, orderId, executionId, symbol, qty, priceCents, costCents: qty * priceCents, releasedHoldCents: qty * perShareCents },
});
const sharesHeld = (orderId: string, qty: number, symbol = 'AAPL'): AccountEvent => ({ type: 'SharesReserved', data: { accountId, orderId, symbol, qty } });

describe('account ledger', () => {
  describe('depositing', () => {
    it('credits a deposit', () => {
      given().when({ type: 'DepositFunds', data: { accountId, amountCents: 10_000, idempotencyKey: 'k1' } }).then([deposited(10_000, 'k1')]);
    });
    it('does nothing when the same deposit comes again with its key', () => {
      given([deposited(10_000, 'k1')]).when({ type: 'DepositFunds', data: { accountId, amountCents: 10_000, idempotencyKey: 'k1' } }).thenNothingHappens();
    });
    it('refuses a key reused for another amount', () => {
      given([deposited(10_000, 'k1')]).when({ type: 'DepositFunds', data: { accountId, amountCents: 5_000, idempotencyKey: 'k1' } }).thenThrows('idempotency_conflict');
    });
    it('refuses a key of a deposit reused for a withdrawal', () => {
      given([deposited(10_000, 'k1')]).when({ type: 'WithdrawFunds', data: { accountId, amountCents: 10_000, idempotencyKey: 'k1' } }).thenThrows('idempotency_conflict');
    });
    it.each([0, -5, 1.5, Number.MAX_SAFE_INTEGER + 2])('refuses an amount of %s', (amountCents) => {
      given().when({ type: 'DepositFunds', data: { accountId, amountCents, idempotencyKey: 'k' } }).thenThrows('invalid_amount');
    });
  });

  describe('withdrawing', () => {
    it('debits what is not reserved', () => {
      given([deposited(10_000), cashHeld('o1', 10, 500)])
        .when({ type: 'WithdrawFunds', data: { accountId, amountCents: 5_000, idempotencyKey: 'w1' } })
        .then([{ type: 'FundsWithdrawn', data: { accountId, amountCents: 5_000, idempotencyKey: 'w1' } }]);
    });
    it('refuses to withdraw reserved cash', () => {
      given([deposited(10_000), cashHeld('o1', 10, 500)])
        .when({ type: 'WithdrawFunds', data: { accountId, amountCents: 5_001, idempotencyKey: 'w1' } })
        .thenThrows('insufficient_funds');
    });
  });

  describe('reserving for a buy', () => {
    it('holds qty × price', () => {
      given([deposited(10_000)]).when({ type: 'ReserveForBuy', data: { accountId, orderId: 'o1', symbol: 'AAPL', qty: 20, perShareCents: 500 } }).then([cashHeld('o1', 20, 500)]);
    });
    it('refuses a buy that exceeds buying power', () => {
      given([deposited(10_000), cashHeld('o1', 10, 500)])
        .when({ type: 'ReserveForBuy', data: { accountId, orderId: 'o2', symbol: 'AAPL', qty: 11, perShareCents: 500 } })
        .thenThrows('insufficient_buying_power');
    });
    it('does not hold twice for the same order', () => {
      given([deposited(10_000), cashHeld('o1', 10, 500)])
        .when({ type: 'ReserveForBuy', data: { accountId, orderId: 'o1', symbol: 'AAPL', qty: 10, perShareCents: 500 } })
        .thenNothingHappens();
    });
    it('does not hold again for an order whose hold was released', () => {
      given([deposited(10_000), cashHeld('o1', 10, 500), { type: 'ReservationReleased', data: { accountId, orderId: 'o1', holdKind: 'cash', symbol: 'AAPL', amountCents: 5_000, qty: 10 } }])
        .when({ type: 'ReserveForBuy', data: { accountId, orderId: 'o1', symbol: 'AAPL', qty: 10, perShareCents: 500 } })
        .thenNothingHappens();
    });
  });

  describe('reserving for a sell', () => {
    const holding = [deposited(10_000), cashHeld('o1', 10, 500), bought('o1', 'x1', 10, 500, 500)];
    it('holds shares that are held and free', () => {
      given(holding).when({ type: 'ReserveForSell', data: { accountId, orderId: 's1', symbol: 'AAPL', qty: 10 } }).then([sharesHeld('s1', 10)]);
    });
    it('refuses to sell more than is held (no short selling)', () => {
      given(holding).when({ type: 'ReserveForSell', data: { accountId, orderId: 's1', symbol: 'AAPL', qty: 11 } }).thenThrows('insufficient_position');
    });
    it('refuses to sell shares already reserved by another sell', () => {
      given([...holding, sharesHeld('s1', 6)]).when({ type: 'ReserveForSell', data: { accountId, orderId: 's2', symbol: 'AAPL', qty: 5 } }).thenThrows('insufficient_position');
    });
    it('refuses to sell a symbol never held', () => {
      given(holding).when({ type: 'ReserveForSell', data: { accountId, orderId: 's1', symbol: 'TSLA', qty: 1 } }).thenThrows('insufficient_position');
    });
  });

  describe('settling fills', () => {
    const holdingBuy = [deposited(10_000), cashHeld('o1', 10, 500)];
    it('settles a buy fill: cash down by the cost, the hold down by what it held for those shares', () => {
      given(holdingBuy)
        .when({ type: 'SettleFill', data: { accountId, orderId: 'o1', executionId: 'x1', side: 'buy', symbol: 'AAPL', qty: 4, priceCents: 480 } })
        .then([bought('o1', 'x1', 4, 480, 500)]);
    });
    it('settles an execution once', () => {
      given([...holdingBuy, bought('o1', 'x1', 4, 480, 500)])
        .when({ type: 'SettleFill', data: { accountId, orderId: 'o1', executionId: 'x1', side: 'buy', symbol: 'AAPL', qty: 4, priceCents: 480 } })
        .thenNothingHappens();
    });
    it('refuses a buy fill above the price held for it', () => {
      given(holdingBuy)
        .when({ type: 'SettleFill', data: { accountId, orderId: 'o1', executionId: 'x1', side: 'buy', symbol: 'AAPL', qty: 1, priceCents: 501 } })
        .thenThrows('fill_above_reserved_price');
    });
    it('refuses a fill beyond the order quantity', () => {
      given(holdingBuy)
        .when({ type: 'SettleFill', data: { accountId, orderId: 'o1', executionId: 'x1', side: 'buy', symbol: 'AAPL', qty: 11, priceCents: 500 } })
        .thenThrows('overfill');
    });
    it('refuses a fill of an order nothing is held for', () => {
      given(holdingBuy)
        .when({ type: 'SettleFill', data: { accountId, orderId: 'nope', executionId: 'x1', side: 'buy', symbol: 'AAPL', qty: 1, priceCents: 500 } })
        .thenThrows('unknown_order');
    });
    it('settles a sell fill: proceeds in, shares and their share of cost basis out', () => {
      given([deposited(10_000), cashHeld('o1', 3, 1_000), bought('o1', 'x1', 3, 1_000, 1_000), sharesHeld('s1', 1)])
        .when({ type: 'SettleFill', data: { accountId, orderId: 's1', executionId: 'x2', side: 'sell', symbol: 'AAPL', qty: 1, priceCents: 1_200 } })
        .then([{ type: 'SellFillSettled', data: { accountId, orderId: 's1', executionId: 'x2', symbol: 'AAPL', qty: 1, priceCents: 1_200, proceedsCents: 1_200, costBasisSoldCents: 1_000 } }]);
    });
  });

  describe('releasing a reservation', () => {
    it('releases the unfilled remainder of a buy', () => {
      given([deposited(10_000), cashHeld('o1', 10, 500), bought('o1', 'x1', 4, 480, 500)])
        .when({ type: 'ReleaseReservation', data: { accountId, orderId: 'o1' } })
        .then([{ type: 'ReservationReleased', data: { accountId, orderId: 'o1', holdKind: 'cash', symbol: 'AAPL', amountCents: 3_000, qty: 6 } }]);
    });
    it('releases once', () => {
      given([deposited(10_000), cashHeld('o1', 10, 500), { type: 'ReservationReleased', data: { accountId, orderId: 'o1', holdKind: 'cash', symbol: 'AAPL', amountCents: 5_000, qty: 10 } }])
        .when({ type: 'ReleaseReservation', data: { accountId, orderId: 'o1' } })
        .thenNothingHappens();
    });
  });

  it('keeps cash, reservations, buying power and average cost to the cent', () => {
    const state = fold(accountDecider, [
      deposited(100_000),
      cashHeld('o1', 10, 1_050),
      bought('o1', 'x1', 6, 1_000, 1_050),
      bought('o1', 'x2', 4, 1_010, 1_050),
    ]);
    expect(state.cashCents).toBe(100_000 - 6_000 - 4_040);
    expect(state.reservedCents).toBe(0);
    expect(buyingPowerCents(state)).toBe(89_960);
    expect(state.positions.AAPL).toEqual({ qty: 10, reservedQty: 0, costBasisCents: 10_040 });
  });
});
