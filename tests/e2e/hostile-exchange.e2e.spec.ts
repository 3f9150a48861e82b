import { randomUUID } from 'node:crypto';
import type { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountDecider, accountStreamId } from '../../domain/account/account.ts';
import { orderDecider, orderStreamId } from '../../domain/order/order.ts';
import type { CommandHandler } from '../../application/shared/command-handler.ts';
import { TOKENS } from '../../infrastructure/composition/tokens.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres-test-database.ts';
import { startSimulator, type SimulatorProcess } from '../support/exchange-simulator.ts';
import { bearer, startTradingApp, type TradingApp } from '../support/trading-app.ts';

/**
 * A hostile exchange (issue 13, item 2): the simulator's feed carries executions that break each
 * rule an execution of our order must keep. None is applied, each is kept once as an anomaly and
 * counted in the alert metric, and every order and the ledger stay exactly as they were — and agree.
 */
describe('an exchange that reports executions our orders cannot have', () => {
  let database: TestDatabase;
  let exchange: SimulatorProcess;
  let exchangeUrl: string;
  let trading: TradingApp;
  const account = randomUUID();
  const headers = bearer(account);

  beforeAll(async () => {
    database = await createTestDatabase('hostile');
    exchange = await startSimulator();
    exchangeUrl = exchange.url;
    trading = await startTradingApp({ EVENT_STORE: 'postgres', DATABASE_URL: database.appUrl, EXCHANGE_URL: exchangeUrl }, { worker: true });
  }, 60_000);
  afterAll(async () => {
    await trading?.close();
    await exchange?.stop();
    await database?.drop();
  });

  const read = async (path: string) => (await trading.app.inject({ method: 'GET', url: path, headers: { ...headers, 'x-min-position': (await trading.store.headPosition()).toString() } })).json();

  async function place(clientOrderId: string, body: Record<string, unknown>): Promise<Record<string, unknown> & { id: string }> {
    const response = await trading.app.inject({ method: 'POST', url: '/v1/orders', headers, payload: { clientOrderId, ...body } });
    expect(response.statusCode, response.body).toBe(201);
    return response.json();
  }

  async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const value = await probe();
      if (done(value)) return value;
      if (Date.now() > deadline) throw new Error(`${what}: ${JSON.stringify(value)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function askCents(symbol: string): Promise<number> {
    return ((await (await fetch(`${exchangeUrl}/v1/quotes/${symbol}`)).json()) as { askCents: number }).askCents;
  }

  it('applies none of them, keeps each as an anomaly, and leaves orders and ledger agreeing as they were', async () => {
    // Given: 10 AAPL bought, a sell limit far above the market and a buy limit far below it resting.
    await trading.app.inject({ method: 'POST', url: '/v1/account/deposits', headers, payload: { amountCents: 100_000_000, idempotencyKey: 'fund' } });
    const bought = await place('buy', { symbol: 'AAPL', side: 'buy', type: 'limit', qty: 10, limitPriceCents: (await askCents('AAPL')) + 5_000 });
    await until(() => read(`/v1/orders/${bought.id}`), (order) => order.status === 'filled', 'the buy did not fill');
    const sell = await place('sell-high', { symbol: 'AAPL', side: 'sell', type: 'limit', qty: 1, limitPriceCents: 100_000_000, timeInForce: 'gtc' });
    const buy = await place('buy-low', { symbol: 'MSFT', side: 'buy', type: 'limit', qty: 5, limitPriceCents: 100, timeInForce: 'gtc' });
    const resting = await until(() => Promise.all([read(`/v1/orders/${sell.id}`), read(`/v1/orders/${buy.id}`)]), (orders) => orders.every((order) => order.status === 'submitted'), 'the limits did not rest');
    const [sellOrder, buyOrder] = resting as Array<{ id: string; externalOrderId: string }>;
    const filledOrder = (await read(`/v1/orders/${bought.id}`)) as { id: string; externalOrderId: string };
    const before = { account: await read('/v1/account'), positions: await read('/v1/positions'), orders: await read('/v1/orders?status=all') };

    // When: the exchange reports one execution breaking each rule.
    const execution = (order: { id: string; externalOrderId: string }, change: Record<string, unknown>) => ({ type: 'execution', executionId: `bad-${randomUUID()}`, externalOrderId: order.externalOrderId, clientOrderId: order.id, leavesQty: 0, qty: 1, ...change });
    const hostile = [
      ['fill_through_limit', execution(sellOrder!, { symbol: 'AAPL', side: 'sell', priceCents: 1 })], // a $1,000,000 sell limit filled at 1 cent
      ['fill_through_limit', execution(buyOrder!, { symbol: 'MSFT', side: 'buy', priceCents: 500_000 })], // a $1 buy limit filled at $5,000
      ['overfill', execution(buyOrder!, { symbol: 'MSFT', side: 'buy', qty: 6, priceCents: 100 })], // more than the 5 left
      ['execution_mismatch', execution(buyOrder!, { symbol: 'MSFT', side: 'sell', priceCents: 100 })], // the wrong side
      ['execution_mismatch', execution(buyOrder!, { symbol: 'TSLA', side: 'buy', priceCents: 100 })], // the wrong symbol
      ['overfill', execution(filledOrder, { symbol: 'AAPL', side: 'buy', priceCents: 100 })], // an order already filled
      ['unknown_order', execution({ id: buyOrder!.id, externalOrderId: 'EX-another-order' }, { symbol: 'MSFT', side: 'buy', priceCents: 100 })], // another exchange order's id
      ['unknown_order', execution({ id: randomUUID(), externalOrderId: 'EX-nobody' }, { symbol: 'MSFT', side: 'buy', priceCents: 100 })], // nobody's order
    ] as const;
    for (const [, report] of hostile) {
      const sent = await exchange.admin.post('/admin/reports', report);
      expect(sent.status).toBe(200);
    }

    // Then: each is an anomaly, once, of the kind of the rule it broke …
    const anomalies = await until(
      async () => (await trading.store.readStream('exchange-anomalies')).map((event) => event.data as { kind: string; report: { executionId: string } }),
      (found) => found.length >= hostile.length,
      'not every bad execution was recorded',
    );
    expect(anomalies.map((anomaly) => [anomaly.kind, anomaly.report.executionId])).toEqual(hostile.map(([kind, report]) => [kind, report.executionId]));
    const metrics = await trading.composition.container.resolve<Registry>(TOKENS.Metrics).getSingleMetric('exchange_anomalies_total')!.get();
    const counted = Object.fromEntries(metrics.values.map((value) => [value.labels.kind, value.value]));
    expect(counted).toEqual({ fill_through_limit: 2, overfill: 2, execution_mismatch: 2, unknown_order: 2 });

    // … and nothing changed: the orders, the cash, the holds and the positions are as they were.
    expect({ account: await read('/v1/account'), positions: await read('/v1/positions'), orders: await read('/v1/orders?status=all') }).toEqual(before);

    // The orders and the ledger agree: each open order's hold is what it needs, nothing else is held.
    const commands = trading.composition.container.resolve<CommandHandler>(TOKENS.CommandHandler);
    const ledger = (await commands.load(accountDecider, accountStreamId(account))).state;
    expect(Object.keys(ledger.holds).sort()).toEqual([sellOrder!.id, buyOrder!.id].sort());
    expect(ledger.holds[buyOrder!.id]).toMatchObject({ kind: 'cash', amountCents: 500, qty: 5 });
    expect(ledger.holds[sellOrder!.id]).toMatchObject({ kind: 'shares', qty: 1 });
    for (const order of [sellOrder!, buyOrder!]) expect((await commands.load(orderDecider, orderStreamId(order.id))).state).toMatchObject({ status: 'submitted', filledQty: 0 });
  }, 60_000);
});
