import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountDecider, accountStreamId, type AccountEvent } from '../../domain/account/account.ts';
import { fold } from '../../domain/shared/decider.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres-test-database.ts';
import { bearer, startTradingApp, type TradingApp } from '../support/trading-app.ts';
import { signToken } from '../../infrastructure/http/tokens.ts';

describe('trading API on real PostgreSQL', () => {
  let database: TestDatabase;
  let first: TradingApp;
  let second: TradingApp;

  beforeAll(async () => {
    database = await createTestDatabase('api');
    const environment = { EVENT_STORE: 'postgres', DATABASE_URL: database.appUrl };
    first = await startTradingApp(environment);
    second = await startTradingApp(environment, { projector: false });
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
    await database?.drop();
  });

  async function deposit(accountId: string, amountCents: number, app = first) {
    const response = await app.app.inject({ method: 'POST', url: '/v1/account/deposits', headers: bearer(accountId), payload: { amountCents, idempotencyKey: `dep-${randomUUID()}` } });
    expect(response.statusCode).toBe(201);
    return response;
  }

  function placeOrder(accountId: string, body: Record<string, unknown>, app = first) {
    return app.app.inject({ method: 'POST', url: '/v1/orders', headers: bearer(accountId), payload: body });
  }

  const limitBuy = (clientOrderId: string, qty = 1, limitPriceCents = 10_000) => ({ clientOrderId, symbol: 'AAPL', side: 'buy', type: 'limit', qty, limitPriceCents });

  describe('commands and read-your-writes', () => {
    it('deposits, places a limit buy that holds cash, lists it and reads the account at the written position', async () => {
      const account = randomUUID();
      await deposit(account, 500_000);
      const placed = await placeOrder(account, limitBuy('first', 10, 18_500));
      expect(placed.statusCode).toBe(201);
      const position = placed.headers['x-position'] as string;
      expect(position).toMatch(/^\d+$/);
      expect(placed.json()).toMatchObject({ clientOrderId: 'first', status: 'pending', qty: 10, limitPriceCents: 18_500, accountId: account, filledQty: 0, avgFillPriceCents: null });

      const headers = { ...bearer(account), 'x-min-position': position };
      const orders = await first.app.inject({ method: 'GET', url: '/v1/orders?status=open', headers });
      const accountView = await first.app.inject({ method: 'GET', url: '/v1/account', headers });
      const byClientId = await first.app.inject({ method: 'GET', url: '/v1/orders?clientOrderId=first', headers });
      const one = await first.app.inject({ method: 'GET', url: `/v1/orders/${placed.json().id}`, headers });

      expect(orders.json().orders).toEqual([placed.json()]);
      expect(byClientId.json().orders).toEqual([placed.json()]);
      expect(one.json()).toEqual(placed.json());
      expect(accountView.json()).toEqual({ accountId: account, cashCents: 500_000, reservedCents: 185_000, buyingPowerCents: 315_000, version: 1 });
    });

    it('cancels a resting order, releasing its hold, and refuses to cancel it twice', async () => {
      const account = randomUUID();
      await deposit(account, 100_000);
      const placed = await placeOrder(account, limitBuy('to-cancel', 5, 10_000));
      const canceled = await first.app.inject({ method: 'DELETE', url: `/v1/orders/${placed.json().id}`, headers: bearer(account) });
      expect(canceled.statusCode).toBe(202);
      expect(canceled.json().status).toBe('canceled');
      const again = await first.app.inject({ method: 'DELETE', url: `/v1/orders/${placed.json().id}`, headers: bearer(account) });
      expect(again.statusCode).toBe(409);
      expect(again.json().error.code).toBe('order_not_cancelable');
      const view = await first.app.inject({ method: 'GET', url: '/v1/account', headers: { ...bearer(account), 'x-min-position': canceled.headers['x-position'] as string } });
      expect(view.json()).toMatchObject({ cashCents: 100_000, reservedCents: 0, buyingPowerCents: 100_000 });
    });

    it('withdraws cash that is not reserved and refuses more with insufficient_funds', async () => {
      const account = randomUUID();
      await deposit(account, 100_000);
      await placeOrder(account, limitBuy('hold', 6, 10_000));
      const refused = await first.app.inject({ method: 'POST', url: '/v1/account/withdrawals', headers: bearer(account), payload: { amountCents: 40_001, idempotencyKey: 'w1' } });
      const done = await first.app.inject({ method: 'POST', url: '/v1/account/withdrawals', headers: bearer(account), payload: { amountCents: 40_000, idempotencyKey: 'w2' } });
      expect(refused.statusCode).toBe(422);
      expect(refused.json().error.code).toBe('insufficient_funds');
      expect(done.statusCode).toBe(201);
      expect(done.json()).toMatchObject({ cashCents: 60_000, reservedCents: 60_000, buyingPowerCents: 0 });
    });

    it('refuses a sell of shares not held, and an unknown symbol', async () => {
      const account = randomUUID();
      await deposit(account, 100_000);
      const sell = await placeOrder(account, { clientOrderId: 's', symbol: 'AAPL', side: 'sell', type: 'market', qty: 1 });
      const unknown = await placeOrder(account, { ...limitBuy('u'), symbol: 'NOPE' });
      expect(sell.statusCode).toBe(422);
      expect(sell.json().error.code).toBe('insufficient_position');
      expect(unknown.statusCode).toBe(422);
      expect(unknown.json().error.code).toBe('unknown_symbol');
    });

    it('holds ask × (1 + 5 %) for a market buy', async () => {
      const account = randomUUID();
      await deposit(account, 10_000_000);
      const placed = await placeOrder(account, { clientOrderId: 'mkt', symbol: 'MSFT', side: 'buy', type: 'market', qty: 3 });
      const quote = (await first.app.inject({ method: 'GET', url: '/v1/symbols/MSFT' })).json();
      const view = await first.app.inject({ method: 'GET', url: '/v1/account', headers: { ...bearer(account), 'x-min-position': placed.headers['x-position'] as string } });
      expect(view.json().reservedCents).toBe(3 * Math.ceil((quote.askCents * 10_500) / 10_000));
    });

    it('answers 503 projection_lagging when asked for a position the read models have not reached', async () => {
      const account = randomUUID();
      const started = Date.now();
      const response = await first.app.inject({ method: 'GET', url: '/v1/account', headers: { ...bearer(account), 'x-min-position': '9223372036854775000' } });
      expect(response.statusCode).toBe(503);
      expect(response.json().error.code).toBe('projection_lagging');
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
    });

    it('refuses a malformed X-Min-Position', async () => {
      const response = await first.app.inject({ method: 'GET', url: '/v1/account', headers: { ...bearer(randomUUID()), 'x-min-position': 'soon' } });
      expect(response.statusCode).toBe(400);
    });
  });

  describe('idempotency', () => {
    it('the same order sent 50 times concurrently (to two API instances) creates one order', async () => {
      const account = randomUUID();
      await deposit(account, 10_000_000);
      const body = limitBuy('same-every-time', 2, 12_345);
      const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => placeOrder(account, body, i % 2 ? second : first)));

      const statuses = responses.map((response) => response.statusCode);
      expect(statuses.filter((status) => status === 201)).toHaveLength(1);
      expect(statuses.filter((status) => status === 200)).toHaveLength(49);
      expect(new Set(responses.map((response) => response.json().id)).size).toBe(1);
      const view = await first.app.inject({ method: 'GET', url: '/v1/account', headers: { ...bearer(account), 'x-min-position': maxPosition(responses) } });
      expect(view.json().reservedCents).toBe(2 * 12_345);
      const orders = await first.app.inject({ method: 'GET', url: '/v1/orders?status=all', headers: { ...bearer(account), 'x-min-position': maxPosition(responses) } });
      expect(orders.json().orders).toHaveLength(1);
    });

    it('the same clientOrderId with another payload is 409 idempotency_conflict', async () => {
      const account = randomUUID();
      await deposit(account, 1_000_000);
      await placeOrder(account, limitBuy('reused', 1, 10_000));
      const conflict = await placeOrder(account, limitBuy('reused', 2, 10_000));
      expect(conflict.statusCode).toBe(409);
      expect(conflict.json().error.code).toBe('idempotency_conflict');
    });

    it('a refused order answers the same 422 when retried', async () => {
      const account = randomUUID();
      const tooBig = limitBuy('too-big', 1, 10_000);
      const first422 = await placeOrder(account, tooBig);
      const retried = await placeOrder(account, tooBig);
      expect([first422.statusCode, retried.statusCode]).toEqual([422, 422]);
      expect(retried.json().error.code).toBe('insufficient_buying_power');
      // The refusal wrote the rejection: its answer carries the position to read it at.
      const position = first422.headers['x-position'] as string;
      expect(position).toMatch(/^\d+$/);
      const orders = await first.app.inject({ method: 'GET', url: '/v1/orders?status=all', headers: { ...bearer(account), 'x-min-position': position } });
      expect(orders.json().orders).toMatchObject([{ clientOrderId: 'too-big', status: 'rejected', rejectReason: 'insufficient_buying_power' }]);
    });

    it('a deposit retried with its key credits once', async () => {
      const account = randomUUID();
      const body = { amountCents: 7_500, idempotencyKey: 'once' };
      const responses = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? second : first).app.inject({ method: 'POST', url: '/v1/account/deposits', headers: bearer(account), payload: body })));
      expect(responses.filter((response) => response.statusCode === 201)).toHaveLength(1);
      expect(responses.every((response) => response.json().cashCents === 7_500)).toBe(true);
    });
  });

  describe('concurrency', () => {
    it('200 concurrent buys beyond buying power: holds never exceed cash, the rest are 422, and the read model equals a replay', async () => {
      const account = randomUUID();
      await deposit(account, 1_000_000);
      const responses = await Promise.all(Array.from({ length: 200 }, (_, i) => placeOrder(account, limitBuy(`burst-${i}`, 1, 10_000), i % 2 ? second : first)));

      const accepted = responses.filter((response) => response.statusCode === 201);
      const refused = responses.filter((response) => response.statusCode === 422);
      const others = responses.filter((response) => response.statusCode !== 201 && response.statusCode !== 422).map((response) => response.body);
      expect(others).toEqual([]);
      expect(accepted).toHaveLength(100);
      expect(refused.every((response) => response.json().error.code === 'insufficient_buying_power')).toBe(true);

      // Refusals wrote events too (the rejection and the closed hold): let the read model catch up with the stream.
      const history = await first.store.readStream(accountStreamId(account));
      let view: { cashCents: number; reservedCents: number; version: number } = { cashCents: 0, reservedCents: 0, version: -1 };
      await expect
        .poll(async () => {
          view = (await first.app.inject({ method: 'GET', url: '/v1/account', headers: bearer(account) })).json();
          return view.version;
        }, { timeout: 10_000 })
        .toBe(history.length - 1);
      expect(view.reservedCents).toBe(accepted.length * 10_000);
      expect(view.reservedCents).toBeLessThanOrEqual(view.cashCents);

      const replayed = fold(accountDecider, history.map((event) => ({ type: event.type, data: event.data }) as AccountEvent));
      expect({ cashCents: view.cashCents, reservedCents: view.reservedCents, version: view.version }).toEqual({
        cashCents: replayed.cashCents,
        reservedCents: replayed.reservedCents,
        version: history.length - 1,
      });
    }, 60_000);
  });

  describe('security', () => {
    it("a trader cannot read or cancel another account's order: 404", async () => {
      const owner = randomUUID();
      const intruder = randomUUID();
      await deposit(owner, 100_000);
      const placed = await placeOrder(owner, limitBuy('mine', 1, 10_000));
      const headers = { ...bearer(intruder), 'x-min-position': placed.headers['x-position'] as string };
      const read = await first.app.inject({ method: 'GET', url: `/v1/orders/${placed.json().id}`, headers });
      const cancel = await first.app.inject({ method: 'DELETE', url: `/v1/orders/${placed.json().id}`, headers: bearer(intruder) });
      expect([read.statusCode, cancel.statusCode]).toEqual([404, 404]);
      expect(read.json().error.code).toBe('not_found');
      expect(cancel.json().error.code).toBe('not_found');
    });

    it.each([
      ['missing', undefined],
      ['expired', `Bearer ${signToken('test-secret-of-at-least-thirty-two-characters', { accountId: randomUUID(), role: 'trader', ttlSeconds: -10 })}`],
      ['forged', `Bearer ${signToken('another-secret-of-thirty-two-characters!!', { accountId: randomUUID(), role: 'trader', ttlSeconds: 600 })}`],
      ['malformed', 'Bearer not.a.jwt'],
      ['with an account that is not a UUID', `Bearer ${signToken('test-secret-of-at-least-thirty-two-characters', { accountId: 'alice', role: 'trader', ttlSeconds: 600 })}`],
    ])('a %s token is 401', async (_, authorization) => {
      const response = await first.app.inject({ method: 'GET', url: '/v1/account', headers: authorization ? { authorization } : {} });
      expect(response.statusCode).toBe(401);
      expect(response.json().error.code).toBe('unauthorized');
    });

    it('a trader on an admin route is 403 (deposits without paper funding)', async () => {
      const strict = await startTradingApp({ EVENT_STORE: 'postgres', DATABASE_URL: database.appUrl }, { projector: false, paperFunding: false });
      try {
        const trader = await strict.app.inject({ method: 'POST', url: '/v1/account/deposits', headers: bearer(randomUUID()), payload: { amountCents: 100, idempotencyKey: 'k' } });
        const admin = await strict.app.inject({ method: 'POST', url: '/v1/account/deposits', headers: bearer(randomUUID(), 'admin'), payload: { amountCents: 100, idempotencyKey: 'k' } });
        expect(trader.statusCode).toBe(403);
        expect(trader.json().error.code).toBe('forbidden');
        expect(admin.statusCode).toBe(201);
      } finally {
        await strict.close();
      }
    });

    it('an auditor may not trade: 403', async () => {
      const response = await first.app.inject({ method: 'POST', url: '/v1/orders', headers: bearer(randomUUID(), 'auditor'), payload: limitBuy('a') });
      expect(response.statusCode).toBe(403);
    });

    it('rate-limits per account with 429 rate_limited and Retry-After', async () => {
      const limited = await startTradingApp({ EVENT_STORE: 'postgres', DATABASE_URL: database.appUrl }, { projector: false, rateLimitMax: 5 });
      try {
        const busy = randomUUID();
        const calm = randomUUID();
        const answers = [];
        for (let i = 0; i < 7; i += 1) answers.push(await limited.app.inject({ method: 'GET', url: '/v1/account', headers: bearer(busy) }));
        const other = await limited.app.inject({ method: 'GET', url: '/v1/account', headers: bearer(calm) });
        expect(answers.map((answer) => answer.statusCode)).toEqual([200, 200, 200, 200, 200, 429, 429]);
        expect(answers[5]!.json().error.code).toBe('rate_limited');
        expect(answers[5]!.headers['retry-after']).toBeDefined();
        expect(other.statusCode).toBe(200);
      } finally {
        await limited.close();
      }
    });

    it('shares the per-account limit across API instances through Redis', async () => {
      const redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
      const environment = { EVENT_STORE: 'postgres', DATABASE_URL: database.appUrl, RATE_LIMIT_WINDOW_MS: '60000' };
      const a = await startTradingApp(environment, { projector: false, rateLimitMax: 4, rateLimitRedis: redis });
      const b = await startTradingApp(environment, { projector: false, rateLimitMax: 4, rateLimitRedis: redis });
      try {
        const account = randomUUID();
        const statuses = [];
        for (let i = 0; i < 6; i += 1) statuses.push((await (i % 2 ? b : a).app.inject({ method: 'GET', url: '/v1/account', headers: bearer(account) })).statusCode);
        expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
      } finally {
        await a.close();
        await b.close();
        await redis.quit();
      }
    });

    it('answers headers past the size limit and a path id over 100 characters in the contract format, on a real socket', async () => {
      await first.app.listen({ host: '127.0.0.1', port: 0 });
      const address = first.app.server.address() as { port: number };
      try {
        const base = `http://127.0.0.1:${address.port}`;
        const huge = await fetch(`${base}/v1/account`, { headers: { ...bearer(randomUUID()), 'x-padding': 'x'.repeat(70 * 1024) } });
        expect(huge.status).toBe(431);
        expect(await huge.json()).toEqual({ error: { code: 'headers_too_large', message: expect.any(String) } });

        const longId = await fetch(`${base}/v1/orders/${'a'.repeat(101)}`, { headers: bearer(randomUUID()) });
        expect(longId.status).toBe(414);
        expect(await longId.json()).toEqual({ error: { code: 'uri_too_long', message: expect.any(String) } });
        // Under /v2 the Alpaca face's catch-all takes such a path: Alpaca's body, as for any path it does not serve.
        const longAlpacaId = await fetch(`${base}/v2/orders/${'a'.repeat(101)}`, { headers: bearer(randomUUID()) });
        expect(longAlpacaId.status).toBe(422);
        expect(await longAlpacaId.json()).toEqual({ code: 42210000, message: expect.any(String) });
        // The server still answers after both.
        expect((await fetch(`${base}/v1/symbols/AAPL`)).status).toBe(200);
      } finally {
        first.app.server.close();
      }
    });

    it('refuses a body over the size limit with the contract error body', async () => {
      const response = await first.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...bearer(randomUUID()), 'content-type': 'application/json' }, payload: JSON.stringify({ clientOrderId: 'x'.repeat(40_000) }) });
      expect(response.statusCode).toBe(413);
      expect(response.json().error.code).toBe('payload_too_large');
    });
  });

  it('documents every contract route in OpenAPI', async () => {
    const document = (await first.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/v1/orders', '/v1/orders/{id}', '/v1/account', '/v1/account/deposits', '/v1/account/withdrawals', '/v1/positions', '/v1/portfolio', '/v1/account/activities', '/v1/symbols', '/v1/symbols/{symbol}', '/v1/symbols/{symbol}/candles']),
    );
  });
});

function maxPosition(responses: Array<{ headers: Record<string, unknown> }>): string {
  return responses
    .map((response) => response.headers['x-position'])
    .filter((position): position is string => typeof position === 'string')
    .map(BigInt)
    .reduce((a, b) => (a > b ? a : b), 0n)
    .toString();
}

