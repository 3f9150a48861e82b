import { randomUUID } from 'node:crypto';
import type { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LatestQuotes } from '../../application/market/market-data.ts';
import { orderIdFor } from '../../application/shared/deterministic-ids.ts';
import { accountDecider, accountStreamId } from '../../domain/account/account.ts';
import { orderStreamId } from '../../domain/order/order.ts';
import type { CommandHandler } from '../../application/shared/command-handler.ts';
import { TOKENS } from '../../infrastructure/composition/tokens.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres-test-database.ts';
import { freePort } from '../support/processes.ts';
import { bearer, startTradingApp, type TradingApp } from '../support/trading-app.ts';

/**
 * A refused order is not left open (issue 13, item 3): an order too large to be written down is
 * refused on every face and stored nowhere, and an order whose hold the ledger refuses for any
 * reason ends rejected at once — nothing is left for the worker to retry every few seconds.
 */
describe('orders refused before they can reach the exchange', () => {
  let database: TestDatabase;
  let trading: TradingApp;
  const account = randomUUID();
  const headers = bearer(account);

  beforeAll(async () => {
    database = await createTestDatabase('refused');
    // A worker whose exchange is nowhere: the reconciler runs often, and would retry anything left open.
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    trading = await startTradingApp({ EVENT_STORE: 'postgres', DATABASE_URL: database.appUrl, EXCHANGE_URL: nowhere, RECONCILE_EVERY_MS: '100', RECONCILE_AFTER_MS: '100' }, { worker: true });
    const funded = await trading.app.inject({ method: 'POST', url: '/v1/account/deposits', headers, payload: { amountCents: 100_000_000, idempotencyKey: 'fund' } });
    expect(funded.statusCode).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await trading?.close();
    await database?.drop();
  });

  const openOrders = async () => (await trading.app.inject({ method: 'GET', url: '/v1/orders?status=open', headers: { ...headers, 'x-min-position': (await trading.store.headPosition()).toString() } })).json().orders;
  const failedSteps = async () => {
    const steps = await trading.composition.container.resolve<Registry>(TOKENS.Metrics).getSingleMetric('worker_steps_total')?.get();
    return (steps?.values ?? []).filter((value) => value.labels.outcome === 'error').reduce((sum, value) => sum + value.value, 0);
  };

  it('given a quantity past what one order may ask, when sent to /v2, then 422 and nothing is stored', async () => {
    const keys = await trading.app.inject({ method: 'POST', url: '/v1/account/api-keys', headers });
    const pair = { 'apca-api-key-id': keys.json().keyId, 'apca-api-secret-key': keys.json().secret };
    for (const type of ['market', 'limit']) {
      const clientOrderId = `huge-${type}`;
      const answer = await trading.app.inject({ method: 'POST', url: '/v2/orders', headers: pair, payload: { symbol: 'AAPL', qty: '999999999999', side: 'buy', type, time_in_force: 'day', client_order_id: clientOrderId, ...(type === 'limit' ? { limit_price: '1' } : {}) } });
      expect(answer.statusCode, answer.body).toBe(422);
      expect(await trading.store.readStream(orderStreamId(orderIdFor(account, clientOrderId)))).toEqual([]);
    }
    expect(await openOrders()).toEqual([]);
  });

  it('given a hold too large to write down, when the order is placed, then it ends rejected with no hold, and the worker never retries it', async () => {
    // A quote no real share has: a market buy of a billion shares then holds more cents than can be counted.
    await trading.composition.container.resolve<LatestQuotes>(TOKENS.LatestQuotes).put([{ symbol: 'AAPL', seq: 1_000_000, priceCents: 10_000_000, bidCents: 10_000_000, askCents: 10_000_000, volume: 1, ts: new Date().toISOString() }]);
    const answer = await trading.app.inject({ method: 'POST', url: '/v1/orders', headers, payload: { clientOrderId: 'too-large', symbol: 'AAPL', side: 'buy', type: 'market', qty: 1_000_000_000 } });
    expect(answer.statusCode, answer.body).toBe(400);
    expect(answer.json().error.message).toMatch(/too large/);
    const retried = await trading.app.inject({ method: 'POST', url: '/v1/orders', headers, payload: { clientOrderId: 'too-large', symbol: 'AAPL', side: 'buy', type: 'market', qty: 1_000_000_000 } });
    expect(retried.statusCode).toBe(400);

    // Read at the position the refusal was written (the log's settled head may trail it while another append is in flight).
    const written = [answer, retried].map((response) => BigInt(response.headers['x-position'] as string)).reduce((a, b) => (a > b ? a : b));
    const order = await trading.app.inject({ method: 'GET', url: `/v1/orders/${orderIdFor(account, 'too-large')}`, headers: { ...headers, 'x-min-position': written.toString() } });
    expect(order.json()).toMatchObject({ status: 'rejected', rejectReason: 'invalid_order' });
    const commands = trading.composition.container.resolve<CommandHandler>(TOKENS.CommandHandler);
    expect((await commands.load(accountDecider, accountStreamId(account))).state.holds).toEqual({});
    // Many reconciler passes later, no step has failed on it.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await failedSteps()).toBe(0);
    expect(await openOrders()).toEqual([]);
  });
});
