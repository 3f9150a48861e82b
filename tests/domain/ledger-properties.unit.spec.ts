import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accountDecider, type AccountCommand, type AccountState } from '../../domain/account/account.ts';
import { isTerminal, orderDecider, type OrderCommand, type OrderState } from '../../domain/order/order.ts';
import type { Decider } from '../../domain/shared/decider.ts';
import { DomainError } from '../../domain/shared/domain-error.ts';

/**
 * Random sequences of deposits, withdrawals, orders, partial and full fills, cancels and
 * duplicate deliveries, run through both deciders the way the workflows drive them. After every
 * step the invariants of design.md hold, and cash and positions equal a plain reference model.
 */

const accountId = 'acct';
const SYMBOLS = ['AAPL', 'MSFT'] as const;

type Step =
  | { kind: 'deposit'; amountCents: number; key: number }
  | { kind: 'withdraw'; amountCents: number; key: number }
  | { kind: 'place'; order: number; side: 'buy' | 'sell'; symbol: (typeof SYMBOLS)[number]; qty: number; perShareCents: number }
  | { kind: 'fill'; order: number; execution: number; qty: number; discountCents: number }
  | { kind: 'cancel'; order: number }
  | { kind: 'confirmCancel'; order: number }
  | { kind: 'redeliver'; back: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('deposit' as const), amountCents: fc.integer({ min: 1, max: 200_000 }), key: fc.integer({ min: 0, max: 6 }) }),
  fc.record({ kind: fc.constant('withdraw' as const), amountCents: fc.integer({ min: 1, max: 100_000 }), key: fc.integer({ min: 7, max: 12 }) }),
  fc.record({
    kind: fc.constant('place' as const),
    order: fc.integer({ min: 0, max: 7 }),
    side: fc.constantFrom('buy' as const, 'sell' as const),
    symbol: fc.constantFrom(...SYMBOLS),
    qty: fc.integer({ min: 1, max: 50 }),
    perShareCents: fc.integer({ min: 1, max: 5_000 }),
  }),
  fc.record({ kind: fc.constant('fill' as const), order: fc.integer({ min: 0, max: 7 }), execution: fc.integer({ min: 0, max: 40 }), qty: fc.integer({ min: 1, max: 30 }), discountCents: fc.integer({ min: 0, max: 300 }) }),
  fc.record({ kind: fc.constant('cancel' as const), order: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('confirmCancel' as const), order: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('redeliver' as const), back: fc.integer({ min: 1, max: 10 }) }),
);

/** Applies a command if the decider accepts it; a refusal changes nothing. */
function apply<C, E, S>(decider: Decider<C, E, S>, state: S, command: C): { state: S; accepted: boolean; events: E[] } {
  try {
    const events = decider.decide(command, state);
    return { state: events.reduce(decider.evolve, state), accepted: true, events };
  } catch (error) {
    if (error instanceof DomainError) return { state, accepted: false, events: [] };
    throw error;
  }
}

/** A deliberately plain model: cash, per-order holds and share counts, nothing derived. */
class ReferenceLedger {
  cash = 0;
  shares = new Map<string, number>();
  heldCash = new Map<string, number>();
  heldShares = new Map<string, number>();
  settled = new Set<string>();

  reserved(): number {
    return [...this.heldCash.values()].reduce((sum, cents) => sum + cents, 0);
  }
}

interface World {
  account: AccountState;
  orders: Map<string, OrderState>;
  reference: ReferenceLedger;
  done: Step[];
}

function orderIdOf(index: number): string {
  return `order-${index}`;
}

function runStep(world: World, current: Step): void {
  const { reference } = world;
  switch (current.kind) {
    case 'deposit':
    case 'withdraw': {
      const command: AccountCommand = {
        type: current.kind === 'deposit' ? 'DepositFunds' : 'WithdrawFunds',
        data: { accountId, amountCents: current.amountCents, idempotencyKey: `key-${current.key}` },
      };
      const result = apply(accountDecider, world.account, command);
      world.account = result.state;
      if (result.events.length) reference.cash += current.kind === 'deposit' ? current.amountCents : -current.amountCents;
      return;
    }
    case 'place': {
      const orderId = orderIdOf(current.order);
      const orderState = world.orders.get(orderId) ?? orderDecider.initialState;
      const placed = apply(orderDecider, orderState, {
        type: 'PlaceOrder',
        data: { orderId, accountId, clientOrderId: orderId, symbol: current.symbol, side: current.side, type: 'limit', qty: current.qty, limitPriceCents: current.perShareCents, timeInForce: 'gtc' },
      } satisfies OrderCommand);
      if (!placed.events.length) return; // a retry or a conflicting reuse: nothing new
      world.orders.set(orderId, placed.state);
      const reserve: AccountCommand =
        current.side === 'buy'
          ? { type: 'ReserveForBuy', data: { accountId, orderId, symbol: current.symbol, qty: current.qty, perShareCents: current.perShareCents } }
          : { type: 'ReserveForSell', data: { accountId, orderId, symbol: current.symbol, qty: current.qty } };
      const reserved = apply(accountDecider, world.account, reserve);
      if (!reserved.accepted) {
        world.orders.set(orderId, apply(orderDecider, placed.state, { type: 'RejectOrder', data: { orderId, reason: 'refused' } }).state);
        world.account = apply(accountDecider, world.account, { type: 'ReleaseReservation', data: { accountId, orderId } }).state;
        return;
      }
      world.account = reserved.state;
      if (current.side === 'buy') reference.heldCash.set(orderId, current.qty * current.perShareCents);
      else reference.heldShares.set(orderId, current.qty);
      // Routed at once: the exchange accepts it.
      world.orders.set(orderId, apply(orderDecider, placed.state, { type: 'RecordSubmission', data: { orderId, externalOrderId: `ex-${orderId}` } }).state);
      return;
    }
    case 'fill': {
      const orderId = orderIdOf(current.order);
      const order = world.orders.get(orderId);
      if (!order || order.status === 'none' || order.limitPriceCents === null) return;
      const executionId = `exec-${current.order}-${current.execution}`;
      const qty = Math.min(current.qty, order.qty - order.filledQty) || current.qty;
      const priceCents = Math.max(1, order.limitPriceCents - (order.side === 'buy' ? current.discountCents : -current.discountCents));
      const recorded = apply(orderDecider, order, { type: 'RecordFill', data: { orderId, executionId, symbol: order.symbol, side: order.side, qty, priceCents } });
      if (!recorded.accepted) return;
      world.orders.set(orderId, recorded.state);
      const settled = apply(accountDecider, world.account, { type: 'SettleFill', data: { accountId, orderId, executionId, side: order.side, symbol: order.symbol, qty, priceCents } });
      expect(settled.accepted).toBe(true);
      world.account = settled.state;
      if (settled.events.length && !reference.settled.has(executionId)) {
        reference.settled.add(executionId);
        const held = order.side === 'buy' ? reference.heldCash.get(orderId)! : reference.heldShares.get(orderId)!;
        if (order.side === 'buy') {
          reference.cash -= qty * priceCents;
          reference.heldCash.set(orderId, held - qty * order.limitPriceCents);
          reference.shares.set(order.symbol, (reference.shares.get(order.symbol) ?? 0) + qty);
        } else {
          reference.cash += qty * priceCents;
          reference.heldShares.set(orderId, held - qty);
          reference.shares.set(order.symbol, (reference.shares.get(order.symbol) ?? 0) - qty);
        }
      }
      if (recorded.state.status === 'filled') release(world, orderId);
      return;
    }
    case 'cancel':
    case 'confirmCancel': {
      const orderId = orderIdOf(current.order);
      const order = world.orders.get(orderId);
      if (!order) return;
      const result = apply(orderDecider, order, current.kind === 'cancel' ? { type: 'RequestCancel', data: { orderId } } : { type: 'ConfirmCancel', data: { orderId } });
      world.orders.set(orderId, result.state);
      if (result.state.status !== 'none' && isTerminal(result.state.status)) release(world, orderId);
      return;
    }
    case 'redeliver': {
      const earlier = world.done[world.done.length - current.back];
      if (earlier && earlier.kind !== 'redeliver') runStep(world, earlier);
      return;
    }
  }
}

function release(world: World, orderId: string): void {
  world.account = apply(accountDecider, world.account, { type: 'ReleaseReservation', data: { accountId, orderId } }).state;
  world.reference.heldCash.delete(orderId);
  world.reference.heldShares.delete(orderId);
}

function checkInvariants({ account, reference }: World): void {
  // 1. Cash never negative; reservations never exceed cash.
  expect(account.cashCents).toBeGreaterThanOrEqual(0);
  expect(account.reservedCents).toBeGreaterThanOrEqual(0);
  expect(account.reservedCents).toBeLessThanOrEqual(account.cashCents);
  // 2. What is reserved is exactly what open orders hold.
  expect(account.reservedCents).toBe(reference.reserved());
  for (const symbol of SYMBOLS) {
    const position = account.positions[symbol] ?? { qty: 0, reservedQty: 0, costBasisCents: 0 };
    const heldForSells = [...reference.heldShares.entries()].filter(([orderId]) => (account.holds[orderId] as { symbol?: string } | undefined)?.symbol === symbol).reduce((sum, [, qty]) => sum + qty, 0);
    expect(position.reservedQty).toBe(heldForSells);
    expect(position.reservedQty).toBeLessThanOrEqual(position.qty);
    // 4. Positions equal what the fills imply (no short selling: never below zero).
    expect(position.qty).toBe(reference.shares.get(symbol) ?? 0);
    expect(position.qty).toBeGreaterThanOrEqual(0);
    expect(position.costBasisCents).toBeGreaterThanOrEqual(0);
  }
  // 3 and 4. Cash equals deposits − withdrawals − costs + proceeds, each fill counted once.
  expect(account.cashCents).toBe(reference.cash);
}

describe('ledger properties (fast-check)', () => {
  it('keeps invariants 1–4 and matches the reference model after every step', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 120 }), (steps) => {
        const world: World = { account: accountDecider.initialState, orders: new Map(), reference: new ReferenceLedger(), done: [] };
        for (const current of steps) {
          runStep(world, current);
          world.done.push(current);
          checkInvariants(world);
        }
      }),
      { numRuns: 1_000 },
    );
  });
});
