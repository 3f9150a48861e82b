import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeOrderSnapshot } from '../../application/exchange/exchange.ts';
import { orderIdFor } from '../../application/shared/deterministic-ids.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres-test-database.ts';
import { startSimulator, type SimulatorProcess } from '../support/exchange-simulator.ts';
import { freePort, startTradingCore } from '../support/processes.ts';
import { bearer, startTradingApp, type TradingApp } from '../support/trading-app.ts';

/**
 * Orders routed to the simulated exchange running as its own process, on real PostgreSQL:
 * market and limit orders fill (in parts), rest, cancel and expire, and the account's cash and
 * positions equal what the exchange's executions imply, to the cent.
 */
describe('order routing against the exchange simulator (separate process)', () => {
  let database: TestDatabase;
  let exchange: SimulatorProcess;
  let exchangeUrl: string;
  let trading: TradingApp;
  const account = randomUUID();
  const headers = bearer(account);
  const placed: Record<string, string> = {};

  beforeAll(async () => {
    database = await createTestDatabase('routing');
    exchange = await startSimulator({ EXCHANGE_TICKS_PER_SECOND: '400' });
    exchangeUrl = exchange.url;
    trading = await startTradingApp({ EVENT_STORE: 'postgres', DATABASE_URL: database.appUrl, EXCHANGE_URL: exchangeUrl }, { worker: true });
  }, 60_000);
  afterAll(async () => {
    await trading?.close();
    await exchange?.stop();
    await database?.drop();
  });

  async function place(name: string, body: Record<string, unknown>): Promise<void> {
    const response = await trading.app.inject({ method: 'POST', url: '/v1/orders', headers, payload: { clientOrderId: name, ...body } });
    expect(response.statusCode, response.body).toBe(201);
    placed[name] = response.json().id;
  }

  async function orderStatus(name: string): Promise<string> {
    const head = (await trading.store.headPosition()).toString();
    const response = await trading.app.inject({ method: 'GET', url: `/v1/orders/${placed[name]}`, headers: { ...headers, 'x-min-position': head } });
    return response.json().status;
  }

  async function eventually(name: string, statuses: string[], timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await orderStatus(name);
      if (statuses.includes(status)) return status;
      if (Date.now() > deadline) throw new Error(`order ${name} is ${status}, not ${statuses.join(' or ')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function quote(symbol: string): Promise<{ askCents: number; bidCents: number }> {
    return (await (await fetch(`${exchangeUrl}/v1/quotes/${symbol}`)).json()) as { askCents: number; bidCents: number };
  }

  it('fills, rests, cancels and expires orders, and the ledger equals the executions to the cent', async () => {
    const deposit = await trading.app.inject({ method: 'POST', url: '/v1/account/deposits', headers, payload: { amountCents: 50_000_000, idempotencyKey: 'fund' } });
    expect(deposit.statusCode).toBe(201);

    // A market buy larger than the displayed size: filled in parts over several quotes.
    await place('market-buy', { symbol: 'AAPL', side: 'buy', type: 'market', qty: 700 });
    // A marketable limit buy: filled at the ask, below its limit.
    await place('limit-buy', { symbol: 'MSFT', side: 'buy', type: 'limit', qty: 5, limitPriceCents: (await quote('MSFT')).askCents + 2_000 });
    // A limit far below the market rests, then is canceled.
    await place('resting', { symbol: 'TSLA', side: 'buy', type: 'limit', qty: 10, limitPriceCents: 100, timeInForce: 'gtc' });
    // IOC that cannot fill: canceled by the exchange at once.
    await place('ioc', { symbol: 'NVDA', side: 'buy', type: 'limit', qty: 10, limitPriceCents: 100, timeInForce: 'ioc' });
    // A day order that is still open at the close: expired.
    await place('day', { symbol: 'SPY', side: 'buy', type: 'limit', qty: 2, limitPriceCents: 100, timeInForce: 'day' });

    expect(await eventually('market-buy', ['filled'])).toBe('filled');
    expect(await eventually('limit-buy', ['filled'])).toBe('filled');
    expect(await eventually('ioc', ['canceled'])).toBe('canceled');
    expect(await eventually('resting', ['submitted'])).toBe('submitted');
    const cancel = await trading.app.inject({ method: 'DELETE', url: `/v1/orders/${placed.resting}`, headers });
    expect(cancel.statusCode).toBe(202);
    expect(cancel.json().status).toBe('pending_cancel');
    expect(await eventually('resting', ['canceled'])).toBe('canceled');
    expect(await eventually('day', ['submitted'])).toBe('submitted');
    expect((await exchange.admin.post('/admin/close-day')).status).toBe(200);
    expect(await eventually('day', ['expired'])).toBe('expired');

    // Sell part of the position back.
    await place('market-sell', { symbol: 'AAPL', side: 'sell', type: 'market', qty: 200 });
    expect(await eventually('market-sell', ['filled'])).toBe('filled');

    // What the exchange says happened …
    let cashCents = 50_000_000;
    const shares: Record<string, number> = {};
    for (const orderId of Object.values(placed)) {
      const snapshot = (await (await fetch(`${exchangeUrl}/v1/orders?clientOrderId=${orderId}`)).json()) as ExchangeOrderSnapshot;
      for (const execution of snapshot.executions) {
        const sign = execution.side === 'buy' ? 1 : -1;
        cashCents -= sign * execution.qty * execution.priceCents;
        shares[execution.symbol] = (shares[execution.symbol] ?? 0) + sign * execution.qty;
      }
    }
    expect(shares).toEqual({ AAPL: 500, MSFT: 5 });
    const marketBuy = (await (await fetch(`${exchangeUrl}/v1/orders?clientOrderId=${placed['market-buy']}`)).json()) as ExchangeOrderSnapshot;
    expect(marketBuy.executions.length).toBeGreaterThan(1); // filled in parts

    // … is what the ledger says, to the cent, with no hold left behind.
    const read = { ...headers, 'x-min-position': (await trading.store.headPosition()).toString() };
    const accountView = (await trading.app.inject({ method: 'GET', url: '/v1/account', headers: read })).json();
    const positions = (await trading.app.inject({ method: 'GET', url: '/v1/positions', headers: read })).json().positions;
    expect(accountView).toMatchObject({ cashCents, reservedCents: 0, buyingPowerCents: cashCents });
    expect(Object.fromEntries(positions.map((position: { symbol: string; qty: number }) => [position.symbol, position.qty]))).toEqual(shares);
    const filled = (await trading.app.inject({ method: 'GET', url: `/v1/orders/${placed['market-buy']}`, headers: read })).json();
    expect(filled).toMatchObject({ filledQty: 700, externalOrderId: expect.stringMatching(/^EX-/) });
  }, 90_000);

  it('records bad executions as anomalies for operators and never lets them touch the ledger', async () => {
    const read = async () => {
      const position = { ...headers, 'x-min-position': (await trading.store.headPosition()).toString() };
      return {
        account: (await trading.app.inject({ method: 'GET', url: '/v1/account', headers: position })).json(),
        positions: (await trading.app.inject({ method: 'GET', url: '/v1/positions', headers: position })).json(),
      };
    };
    const before = await read();
    const inject = async (report: Record<string, unknown>) => expect((await exchange.admin.post('/admin/reports', { type: 'execution', side: 'buy', leavesQty: 0, ...report })).status).toBe(200);
    const filled = (await trading.app.inject({ method: 'GET', url: `/v1/orders/${placed['limit-buy']}`, headers })).json();
    const canceled = (await trading.app.inject({ method: 'GET', url: `/v1/orders/${placed.resting}`, headers })).json();
    await inject({ executionId: 'bogus-1', externalOrderId: 'EX-NOPE', clientOrderId: randomUUID(), symbol: 'AAPL', qty: 1, priceCents: 100 });
    await inject({ executionId: 'bogus-2', externalOrderId: filled.externalOrderId, clientOrderId: filled.id, symbol: 'MSFT', qty: 1, priceCents: 100 });
    await inject({ executionId: 'bogus-3', externalOrderId: canceled.externalOrderId, clientOrderId: canceled.id, symbol: 'TSLA', qty: 1, priceCents: 100 });

    let anomalies: Array<{ data: { kind: string } }> = [];
    const deadline = Date.now() + 10_000;
    while (anomalies.length < 3 && Date.now() < deadline) {
      anomalies = (await trading.store.readStream('exchange-anomalies')) as typeof anomalies;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(anomalies.map((anomaly) => anomaly.data.kind).sort()).toEqual(['fill_after_end', 'overfill', 'unknown_order']);
    expect(await read()).toEqual(before);
  }, 30_000);
});

describe('the exchange circuit breaker', () => {
  it('opens on a failing exchange, and the API then answers 503 exchange_unavailable without storing the order', async () => {
    const database = await createTestDatabase('breaker');
    const port = await freePort();
    const exchangeUrl = `http://127.0.0.1:${port}`;
    const exchange = await startTradingCore(['exchange-sim'], { EXCHANGE_PORT: String(port), EXCHANGE_TICKS_PER_SECOND: '0', UNIVERSE_SIZE: '10', LOG_LEVEL: 'warn', EXCHANGE_FAULTS: JSON.stringify({ errorRate: 1 }) }, async () => (await fetch(`${exchangeUrl}/healthz`)).ok);
    const trading = await startTradingApp({ EVENT_STORE: 'postgres', DATABASE_URL: database.appUrl, EXCHANGE_URL: exchangeUrl }, { worker: true });
    try {
      const account = randomUUID();
      const headers = bearer(account);
      await trading.app.inject({ method: 'POST', url: '/v1/account/deposits', headers, payload: { amountCents: 10_000_000, idempotencyKey: 'fund' } });
      // Orders routed into a failing exchange: they stay pending, and the failures open the circuit.
      for (let i = 0; i < 12; i += 1) {
        const response = await trading.app.inject({ method: 'POST', url: '/v1/orders', headers, payload: { clientOrderId: `doomed-${i}`, symbol: 'AAPL', side: 'buy', type: 'limit', qty: 1, limitPriceCents: 100 } });
        if (response.statusCode === 503) break;
        expect(response.statusCode).toBe(201);
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      let refused: { statusCode: number; json(): { error: { code: string } } } | undefined;
      let clientOrderId = '';
      const deadline = Date.now() + 15_000;
      for (let attempt = 0; Date.now() < deadline; attempt += 1) {
        clientOrderId = `while-open-${attempt}`;
        const response = await trading.app.inject({ method: 'POST', url: '/v1/orders', headers, payload: { clientOrderId, symbol: 'AAPL', side: 'buy', type: 'limit', qty: 1, limitPriceCents: 100 } });
        if (response.statusCode === 503) {
          refused = response;
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(refused?.statusCode).toBe(503);
      expect(refused?.json().error.code).toBe('exchange_unavailable');
      const orderId = orderIdFor(account, clientOrderId);
      expect(await trading.store.readStream(`order-${orderId}`)).toEqual([]);
    } finally {
      await trading.close();
      await exchange.stop();
      await database.drop();
    }
  }, 60_000);
});
