import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderUpdate, OrderUpdates } from '../../application/market/market-data.ts';
import { TOKENS } from '../../infrastructure/composition/tokens.ts';
import { startTradingApp, type TradingApp } from '../support/trading-app.ts';
import { mixedWorkload, runStep, tradingSession } from '../support/trading-steps.ts';

/** The projector's live order updates, one per order event, on the embedded path (PGlite, in process). */
describe('order updates published by the projector', () => {
  let trading: TradingApp;
  const account = randomUUID();
  const updates: OrderUpdate[] = [];

  beforeAll(async () => {
    trading = await startTradingApp({ EVENT_STORE: 'pglite' });
    await trading.composition.container.resolve<OrderUpdates>(TOKENS.OrderUpdates).subscribe(account, (update) => updates.push(update));
    const session = tradingSession(trading, [account]);
    for (const step of mixedWorkload(1)) await runStep(session, step);
    await trading.projector!.waitFor(await trading.store.headPosition());
  }, 60_000);
  afterAll(async () => {
    await trading?.close();
  });

  const bySymbolAndSide = (symbol: string, side: 'buy' | 'sell') => updates.filter((update) => update.order.symbol === symbol && update.order.side === side);

  it('publishes every event of every order, in order, each with the order as it stood after it', () => {
    expect(bySymbolAndSide('AAPL', 'buy').map((update) => update.event)).toEqual(['pending_new', null, 'new', 'partial_fill', 'fill']);
    expect(bySymbolAndSide('MSFT', 'buy').map((update) => update.event)).toEqual(['pending_new', null, 'new', 'partial_fill', 'pending_cancel', 'canceled']);
    expect(bySymbolAndSide('TSLA', 'buy').map((update) => update.event)).toEqual(['pending_new', 'canceled']);
    expect(bySymbolAndSide('NVDA', 'buy').map((update) => update.event)).toEqual(['pending_new', null, 'new', 'expired']);
    expect(bySymbolAndSide('SPY', 'buy').map((update) => [update.event, update.order.status])).toEqual([['pending_new', 'pending']]);
    for (const update of updates) expect(update.order.accountId).toBe(account);
    const versions = new Map<string, number[]>();
    for (const update of updates) versions.set(update.order.id, [...(versions.get(update.order.id) ?? []), update.order.version]);
    for (const sequence of versions.values()) expect(sequence).toEqual([...sequence].sort((a, b) => a - b));
    expect(bySymbolAndSide('MSFT', 'buy').map((update) => update.order.status)).toEqual(['pending', 'pending', 'submitted', 'partially_filled', 'pending_cancel', 'canceled']);
  });

  it('gives each fill its execution, price, quantity and the position it left', () => {
    const fills = updates.filter((update) => update.fill);
    expect(fills.map((update) => [update.order.symbol, update.order.side, update.fill!.qty, update.fill!.positionQty])).toEqual([
      ['AAPL', 'buy', 4, 4],
      ['AAPL', 'buy', 6, 10],
      ['MSFT', 'buy', 4, 4],
      ['AAPL', 'sell', 4, 6],
    ]);
    for (const update of fills) {
      expect(update.fill!.executionId).toMatch(/^x-/);
      expect(update.fill!.priceCents).toBeGreaterThan(0);
      expect(update.order.filledQty).toBeGreaterThanOrEqual(update.fill!.qty);
    }
  });
});
