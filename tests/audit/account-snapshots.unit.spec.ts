import { is } from 'immutable';
import { describe, expect, it } from 'vitest';
import { crossesBoundary } from '../../application/audit/account-snapshots.ts';
import { decodeAccountState, encodeAccountState, SnapshotFormatError } from '../../application/audit/account-state-codec.ts';
import { SnapshotScheduler } from '../../application/audit/snapshot-scheduler.ts';
import type { RecordedEvent } from '../../application/event-store/event-store.ts';
import { accountDecider, type AccountEvent, type AccountState } from '../../domain/account/account.ts';
import { fold } from '../../domain/shared/decider.ts';

const accountId = 'a1';
const history: AccountEvent[] = [
  { type: 'FundsDeposited', data: { accountId, amountCents: 100_000, idempotencyKey: 'd1' } },
  { type: 'FundsReserved', data: { accountId, orderId: 'o1', symbol: 'AAPL', qty: 4, perShareCents: 10_000, amountCents: 40_000 } },
  { type: 'BuyFillSettled', data: { accountId, orderId: 'o1', executionId: 'x1', symbol: 'AAPL', qty: 4, priceCents: 9_900, costCents: 39_600, releasedHoldCents: 40_000 } },
  { type: 'ReservationReleased', data: { accountId, orderId: 'o1', holdKind: 'cash', symbol: 'AAPL', amountCents: 0, qty: 0 } },
  { type: 'SharesReserved', data: { accountId, orderId: 'o2', symbol: 'AAPL', qty: 3 } },
  { type: 'FundsReserved', data: { accountId, orderId: 'o3', symbol: 'MSFT', qty: 1, perShareCents: 30_000, amountCents: 30_000 } },
  { type: 'FundsWithdrawn', data: { accountId, amountCents: 500, idempotencyKey: 'w1' } },
];
const rest: AccountEvent[] = [
  { type: 'SellFillSettled', data: { accountId, orderId: 'o2', executionId: 'x2', symbol: 'AAPL', qty: 3, priceCents: 11_000, proceedsCents: 33_000, costBasisSoldCents: 29_700 } },
  { type: 'ReservationReleased', data: { accountId, orderId: 'o2', holdKind: 'shares', symbol: 'AAPL', amountCents: 0, qty: 0 } },
  { type: 'FundsDeposited', data: { accountId, amountCents: 1, idempotencyKey: 'd2' } },
];

/** Through JSON text, as the snapshot table stores it. */
const throughStorage = (state: AccountState): AccountState => decodeAccountState(JSON.parse(JSON.stringify(encodeAccountState(state))));

function expectSameState(actual: AccountState, expected: AccountState): void {
  expect({ ...actual, closedOrders: null, settledExecutions: null, idempotencyKeys: null }).toEqual({ ...expected, closedOrders: null, settledExecutions: null, idempotencyKeys: null });
  expect(is(actual.closedOrders, expected.closedOrders)).toBe(true);
  expect(is(actual.settledExecutions, expected.settledExecutions)).toBe(true);
  // Its values are plain objects, which Immutable compares by reference: compare them as values.
  expect(actual.idempotencyKeys.toJS()).toEqual(expected.idempotencyKeys.toJS());
  expect(actual.idempotencyKeys.size).toBe(expected.idempotencyKeys.size);
}

describe('account snapshots', () => {
  describe('the state codec', () => {
    it('given a folded account, when it goes through storage, then it comes back equal, persistent collections included', () => {
      const state = fold(accountDecider, history);
      expectSameState(throughStorage(state), state);
      expect(throughStorage(state).closedOrders.has('o1')).toBe(true);
    });

    it('given a decoded snapshot, when the rest of the history is folded onto it, then it equals the history folded from the first event', () => {
      const resumed = rest.reduce(accountDecider.evolve, throughStorage(fold(accountDecider, history)));
      expectSameState(resumed, fold(accountDecider, [...history, ...rest]));
    });

    it('given a decoded snapshot, when the decider decides on it, then it remembers what the sets remember (keys, executions, closed orders)', () => {
      const state = throughStorage(fold(accountDecider, [...history, ...rest]));
      expect(accountDecider.decide({ type: 'DepositFunds', data: { accountId, amountCents: 100_000, idempotencyKey: 'd1' } }, state)).toEqual([]);
      expect(accountDecider.decide({ type: 'ReleaseReservation', data: { accountId, orderId: 'o1' } }, state)).toEqual([]);
    });

    it.each([[null], [{}], [{ cashCents: 1.5, reservedCents: 0 }], [{ ...encodeAccountState(accountDecider.initialState), closedOrders: 'o1' }]])(
      'given something that is no snapshot (%j), when decoded, then it is refused',
      (encoded) => {
        expect(() => decodeAccountState(encoded)).toThrow(SnapshotFormatError);
      },
    );
  });

  describe('boundaries', () => {
    it.each([
      [-1n, 3n, 4, true],
      [-1n, 2n, 4, false],
      [3n, 6n, 4, false],
      [3n, 7n, 4, true],
      [7n, 7n, 4, false],
    ])('from revision %s to %s with a snapshot every %i events: crosses one = %s', (from, to, every, crosses) => {
      expect(crossesBoundary(from, to, every)).toBe(crosses);
    });
  });

  describe('the scheduler', () => {
    const recorded = (streamId: string, revision: bigint): RecordedEvent =>
      ({ streamId, revision, position: revision, id: `${streamId}/${revision}`, type: 'X', data: {}, metadata: { correlationId: '', causationId: '', principal: '' }, recordedAt: new Date(), hash: '' });

    it('given committed events, when an account stream reaches a boundary, then that account is caught up once', async () => {
      const caughtUp: string[] = [];
      const scheduler = new SnapshotScheduler(async (id) => (caughtUp.push(id), 1), 3, () => undefined);
      scheduler.notice([recorded('account-a', 1n), recorded('account-a', 2n), recorded('order-b', 2n), recorded('account-c', 5n), recorded('account-a', 5n)]);
      await scheduler.idle();
      expect(caughtUp.sort()).toEqual(['a', 'c']);
    });

    it('given a catch-up that fails, when it is reported, then the next one still runs', async () => {
      const errors: string[] = [];
      const caughtUp: string[] = [];
      const scheduler = new SnapshotScheduler(
        async (id) => {
          if (id === 'bad') throw new Error('down');
          caughtUp.push(id);
          return 1;
        },
        3,
        (_error, id) => errors.push(id),
      );
      scheduler.request('bad');
      scheduler.request('good');
      await scheduler.idle();
      expect(errors).toEqual(['bad']);
      expect(caughtUp).toEqual(['good']);
    });

    it('given a stopped scheduler, when asked, then it does nothing', async () => {
      const caughtUp: string[] = [];
      const scheduler = new SnapshotScheduler(async (id) => (caughtUp.push(id), 1), 3, () => undefined);
      await scheduler.stop();
      scheduler.request('a');
      await scheduler.idle();
      expect(caughtUp).toEqual([]);
    });
  });
});
