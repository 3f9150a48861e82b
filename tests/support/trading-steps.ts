import { randomUUID } from 'node:crypto';
import { accountDecider, accountStreamId } from '../../domain/account/account.ts';
import { isTerminal, orderDecider, orderStreamId } from '../../domain/order/order.ts';
import { DomainError } from '../../domain/shared/domain-error.ts';
import type { CommandContext } from '../../application/shared/command-context.ts';
import type { CommandHandler } from '../../application/shared/command-handler.ts';
import { orderIdFor } from '../../application/shared/deterministic-ids.ts';
import { TOKENS } from '../../infrastructure/composition/tokens.ts';
import type { TradingDependencies } from '../../infrastructure/http/routes/trading-dependencies.ts';
import type { TradingApp } from './trading-app.ts';

/**
 * A trading history driven through the real use cases (move funds, place, cancel) and, for
 * what the exchange worker would do, the real command handler with the same commands it sends
 * (routing, submission, fills and their settlement, cancels confirmed, expiry).
 */
export type TradingStep =
  | { readonly kind: 'deposit'; readonly account: number; readonly amountCents: number }
  | { readonly kind: 'withdraw'; readonly account: number; readonly amountCents: number }
  | {
      readonly kind: 'place';
      readonly account: number;
      readonly side: 'buy' | 'sell';
      readonly type: 'market' | 'limit';
      readonly symbol: string;
      readonly qty: number;
      readonly limitPriceCents: number;
    }
  /** `order` picks among the orders placed so far: an index (modulo their number), or from the newest back (-1 = the newest). */
  | { readonly kind: 'route'; readonly order: number }
  | { readonly kind: 'fill'; readonly order: number; readonly percent: number; readonly belowCents: number }
  | { readonly kind: 'cancel'; readonly order: number }
  | { readonly kind: 'confirm-cancel'; readonly order: number }
  | { readonly kind: 'expire'; readonly order: number }
  | { readonly kind: 'pause'; readonly ms: number };

export interface TradingSession {
  readonly accounts: readonly string[];
  readonly orders: Array<{ readonly accountId: string; readonly orderId: string }>;
  readonly trading: TradingDependencies;
  readonly commands: CommandHandler;
  /** Steps refused by the domain (insufficient funds, nothing to cancel, …): part of a realistic history. */
  refused: number;
}

export function tradingSession(app: TradingApp, accounts: readonly string[]): TradingSession {
  const { container } = app.composition;
  return {
    accounts,
    orders: [],
    trading: container.resolve<TradingDependencies>(TOKENS.TradingDependencies),
    commands: container.resolve<CommandHandler>(TOKENS.CommandHandler),
    refused: 0,
  };
}

function pickOrder(session: TradingSession, pick: number): { accountId: string; orderId: string } {
  const count = session.orders.length;
  return session.orders[((pick % count) + count) % count]!;
}

const context = (principal = 'system:test'): CommandContext => ({ correlationId: randomUUID(), causationId: randomUUID(), principal, occurredAt: new Date().toISOString() });

async function exchangeStep(session: TradingSession, step: Exclude<TradingStep, { kind: 'deposit' | 'withdraw' | 'place' | 'cancel' | 'pause' }>): Promise<void> {
  const { commands } = session;
  if (session.orders.length === 0) return;
  const { accountId, orderId } = pickOrder(session, step.order);
  const order = (await commands.load(orderDecider, orderStreamId(orderId))).state;
  if (order.status === 'none' || isTerminal(order.status)) return;
  const orderStream = orderStreamId(orderId);
  const accountStream = accountStreamId(accountId);
  const release = () => commands.handle(accountDecider, accountStream, { type: 'ReleaseReservation', data: { accountId, orderId } }, context('system:worker'), `account/${accountId}/release/${orderId}`);
  const held = (await commands.load(accountDecider, accountStream)).state.holds[orderId];
  switch (step.kind) {
    case 'route':
      if (order.status !== 'pending' || !held) return;
      await commands.handle(orderDecider, orderStream, { type: 'StartRouting', data: { orderId, protectionPriceCents: null } }, context('system:worker'), `order/${orderId}/routing`);
      await commands.handle(orderDecider, orderStream, { type: 'RecordSubmission', data: { orderId, externalOrderId: `ex-${orderId}` } }, context('system:worker'), `order/${orderId}/submitted`);
      return;
    case 'fill': {
      if (order.externalOrderId === null || !held) return;
      const remaining = order.qty - order.filledQty;
      const qty = Math.max(1, Math.min(remaining, Math.round((remaining * step.percent) / 100)));
      // At or better than the order's price bound: a buy at or below what was held, a sell at or above its limit.
      const priceCents = held.kind === 'cash' ? Math.max(1, held.perShareCents - step.belowCents) : (order.limitPriceCents ?? 10_000) + step.belowCents;
      const executionId = `x-${orderId}-${order.filledQty}`;
      const filled = await commands.handle(orderDecider, orderStream, { type: 'RecordFill', data: { orderId, executionId, symbol: order.symbol, side: order.side, qty, priceCents } }, context('system:worker'), `order/${orderId}/fill/${executionId}`);
      await commands.handle(
        accountDecider,
        accountStream,
        { type: 'SettleFill', data: { accountId, orderId, executionId, side: order.side, symbol: order.symbol, qty, priceCents } },
        context('system:worker'),
        `account/${accountId}/settle/${executionId}`,
      );
      if (filled.state.status === 'filled') await release();
      return;
    }
    case 'confirm-cancel':
      if (order.status !== 'pending_cancel') return;
      await commands.handle(orderDecider, orderStream, { type: 'ConfirmCancel', data: { orderId } }, context('system:worker'), `order/${orderId}/canceled`);
      await release();
      return;
    case 'expire':
      if (order.externalOrderId === null) return;
      await commands.handle(orderDecider, orderStream, { type: 'ExpireOrder', data: { orderId } }, context('system:worker'), `order/${orderId}/expired`);
      await release();
      return;
  }
}

export async function runStep(session: TradingSession, step: TradingStep): Promise<void> {
  const { trading } = session;
  try {
    switch (step.kind) {
      case 'deposit':
      case 'withdraw': {
        const accountId = session.accounts[step.account % session.accounts.length]!;
        await trading.moveFunds(step.kind === 'deposit' ? 'deposit' : 'withdrawal', { accountId, amountCents: step.amountCents, idempotencyKey: randomUUID() }, context(`account:${accountId}`));
        return;
      }
      case 'place': {
        const accountId = session.accounts[step.account % session.accounts.length]!;
        const request = {
          clientOrderId: `c-${randomUUID()}`,
          symbol: step.symbol,
          side: step.side,
          type: step.type,
          qty: step.qty,
          limitPriceCents: step.type === 'limit' ? step.limitPriceCents : null,
          timeInForce: 'gtc' as const,
        };
        // A refused order is stored too (placed, then rejected): it counts among the orders.
        session.orders.push({ accountId, orderId: orderIdFor(accountId, request.clientOrderId) });
        await trading.placeOrder(accountId, request, context(`account:${accountId}`));
        return;
      }
      case 'cancel': {
        if (session.orders.length === 0) return;
        const { accountId, orderId } = pickOrder(session, step.order);
        await trading.cancelOrder(accountId, orderId, context(`account:${accountId}`));
        return;
      }
      case 'pause':
        await new Promise((resolve) => setTimeout(resolve, step.ms));
        return;
      default:
        await exchangeStep(session, step);
    }
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    session.refused += 1;
  }
}

/** A fixed mixed workload: deposits, resting and filled buys, partial fills, cancels (local and at the exchange), sells, withdrawals. */
export function mixedWorkload(accounts: number): TradingStep[] {
  const steps: TradingStep[] = [];
  for (let a = 0; a < accounts; a += 1) {
    const base = a * 6;
    steps.push({ kind: 'deposit', account: a, amountCents: 5_000_000 });
    steps.push({ kind: 'place', account: a, side: 'buy', type: 'limit', symbol: 'AAPL', qty: 10, limitPriceCents: 20_000 });
    steps.push({ kind: 'place', account: a, side: 'buy', type: 'limit', symbol: 'MSFT', qty: 8, limitPriceCents: 30_000 });
    steps.push({ kind: 'place', account: a, side: 'buy', type: 'market', symbol: 'TSLA', qty: 3, limitPriceCents: 0 });
    steps.push({ kind: 'route', order: base }, { kind: 'fill', order: base, percent: 40, belowCents: 50 }, { kind: 'fill', order: base, percent: 100, belowCents: 10 });
    steps.push({ kind: 'route', order: base + 1 }, { kind: 'fill', order: base + 1, percent: 50, belowCents: 0 }, { kind: 'cancel', order: base + 1 }, { kind: 'confirm-cancel', order: base + 1 });
    steps.push({ kind: 'cancel', order: base + 2 });
    steps.push({ kind: 'place', account: a, side: 'sell', type: 'limit', symbol: 'AAPL', qty: 4, limitPriceCents: 21_000 });
    steps.push({ kind: 'route', order: base + 3 }, { kind: 'fill', order: base + 3, percent: 100, belowCents: 0 });
    steps.push({ kind: 'place', account: a, side: 'buy', type: 'limit', symbol: 'NVDA', qty: 2, limitPriceCents: 50_000 });
    steps.push({ kind: 'route', order: base + 4 }, { kind: 'expire', order: base + 4 });
    steps.push({ kind: 'place', account: a, side: 'buy', type: 'limit', symbol: 'SPY', qty: 5, limitPriceCents: 40_000 });
    steps.push({ kind: 'withdraw', account: a, amountCents: 1_000 });
  }
  return steps;
}
