import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/postgres-test-database.ts';
import { bearer, startTradingApp, type TradingApp } from '../support/trading-app.ts';

/** The Alpaca-compatible face over `app.inject`, on real PostgreSQL (no exchange: orders rest in pending). */
describe('API keys and the Alpaca-compatible REST face', () => {
  let database: TestDatabase;
  let trading: TradingApp;
  let other: TradingApp;
  const account = randomUUID();
  let keys: { 'apca-api-key-id': string; 'apca-api-secret-key': string };
  let keyCreatedAt: string;

  beforeAll(async () => {
    database = await createTestDatabase('alpaca');
    trading = await startTradingApp({ EVENT_STORE: 'postgres', DATABASE_URL: database.appUrl });
    // A second API instance without a projector of its own: keys made on the first work here once projected, at once with X-Min-Position.
    other = await startTradingApp({ EVENT_STORE: 'postgres', DATABASE_URL: database.appUrl }, { projector: false });
    const created = await trading.app.inject({ method: 'POST', url: '/v1/account/api-keys', headers: bearer(account), payload: { label: 'bot' } });
    expect(created.statusCode, created.body).toBe(201);
    keys = { 'apca-api-key-id': created.json().keyId, 'apca-api-secret-key': created.json().secret };
    keyCreatedAt = created.headers['x-position'] as string;
    const deposit = await trading.app.inject({ method: 'POST', url: '/v1/account/deposits', headers: bearer(account), payload: { amountCents: 1_000_000, idempotencyKey: 'fund' } });
    expect(deposit.statusCode).toBe(201);
  });
  afterAll(async () => {
    await other?.close();
    await trading?.close();
    await database?.drop();
  });

  const get = (url: string, app = trading, headers: Record<string, string> = keys) => app.app.inject({ method: 'GET', url, headers });

  describe('API keys', () => {
    it('authenticates with the pair on another instance at once when the caller names its creation\'s position, and lists the key without its secret', async () => {
      const account = await get('/v2/account', other, { ...keys, 'x-min-position': keyCreatedAt });
      expect(account.statusCode, account.body).toBe(200);
      const listed = await trading.app.inject({ method: 'GET', url: '/v1/account/api-keys', headers: bearer(account.json().id) });
      expect(listed.json().apiKeys).toEqual([{ keyId: keys['apca-api-key-id'], label: 'bot', createdAt: expect.any(String), revokedAt: null }]);
      expect(listed.body).not.toContain(keys['apca-api-secret-key']);
    });

    it('refuses a wrong secret, and a key once its revocation is applied, with 401 in Alpaca’s body', async () => {
      const wrong = await get('/v2/account', trading, { ...keys, 'apca-api-secret-key': 'x'.repeat(43) });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json()).toEqual({ code: 40110000, message: 'request is not authorized' });

      const owner = randomUUID();
      const creation = await trading.app.inject({ method: 'POST', url: '/v1/account/api-keys', headers: bearer(owner) });
      expect(creation.statusCode, creation.body).toBe(201);
      const made = creation.json();
      const pair = { 'apca-api-key-id': made.keyId, 'apca-api-secret-key': made.secret };
      expect((await get('/v2/orders', trading, pair)).statusCode).toBe(200);
      const revocation = await trading.app.inject({ method: 'DELETE', url: `/v1/account/api-keys/${made.keyId}`, headers: bearer(owner) });
      expect(revocation.statusCode).toBe(204);
      // A revocation holds from the moment the read models apply it (its X-Position), on every instance.
      await trading.projector!.waitFor(BigInt(revocation.headers['x-position'] as string));
      const revoked = await get('/v2/orders', other, pair);
      expect(revoked.statusCode).toBe(401);
    });
  });

  describe('what an API key may do', () => {
    it('given a key, when it tries to make, list or revoke keys or to move money, then it gets 403 and nothing changes; with the owner\'s token the routes work', async () => {
      const owner = randomUUID();
      const made = (await trading.app.inject({ method: 'POST', url: '/v1/account/api-keys', headers: bearer(owner), payload: { label: 'first' } })).json();
      const pair = { 'apca-api-key-id': made.keyId, 'apca-api-secret-key': made.secret };
      const attempts = [
        { method: 'POST' as const, url: '/v1/account/api-keys', payload: { label: 'second' } },
        { method: 'GET' as const, url: '/v1/account/api-keys' },
        { method: 'DELETE' as const, url: `/v1/account/api-keys/${made.keyId}` },
        { method: 'POST' as const, url: '/v1/account/withdrawals', payload: { amountCents: 1, idempotencyKey: 'by-key' } },
        { method: 'POST' as const, url: '/v1/account/deposits', payload: { amountCents: 1, idempotencyKey: 'by-key' } },
      ];
      for (const attempt of attempts) {
        const answer = await trading.app.inject({ ...attempt, headers: pair });
        expect(answer.statusCode, `${attempt.method} ${attempt.url}`).toBe(403);
        expect(answer.json().error).toMatchObject({ code: 'forbidden', message: expect.stringContaining('bearer token') });
      }
      // The key still trades and reads.
      expect((await trading.app.inject({ method: 'GET', url: '/v1/account', headers: pair })).statusCode).toBe(200);
      expect((await get('/v2/orders', trading, pair)).statusCode).toBe(200);

      // When the owner revokes the first key, no key it tried to make is left working.
      const revocation = await trading.app.inject({ method: 'DELETE', url: `/v1/account/api-keys/${made.keyId}`, headers: bearer(owner) });
      expect(revocation.statusCode).toBe(204);
      const listed = await trading.app.inject({ method: 'GET', url: '/v1/account/api-keys', headers: { ...bearer(owner), 'x-min-position': revocation.headers['x-position'] as string } });
      expect(listed.json().apiKeys).toEqual([{ keyId: made.keyId, label: 'first', createdAt: expect.any(String), revokedAt: expect.any(String) }]);
      const account = await trading.app.inject({ method: 'GET', url: '/v1/account', headers: { ...bearer(owner), 'x-min-position': revocation.headers['x-position'] as string } });
      expect(account.json().cashCents).toBe(0);
    });

    it('documents each route\'s credentials in OpenAPI: keys where they trade and read, the bearer token alone for keys and money', async () => {
      const { paths, components } = (await trading.app.inject({ method: 'GET', url: '/docs/json' })).json();
      expect(Object.keys(components.securitySchemes).sort()).toEqual(['apiKeyId', 'apiKeySecret', 'bearer']);
      const both = [{ bearer: [] }, { apiKeyId: [], apiKeySecret: [] }];
      for (const [path, method] of <Array<[string, string]>>[['/v1/orders', 'post'], ['/v1/orders', 'get'], ['/v1/account', 'get'], ['/v2/orders', 'post'], ['/v1/stream/tickets', 'post']]) expect(paths[path][method].security, `${method} ${path}`).toEqual(both);
      for (const [path, method] of <Array<[string, string]>>[['/v1/account/api-keys', 'post'], ['/v1/account/api-keys', 'get'], ['/v1/account/api-keys/{keyId}', 'delete'], ['/v1/account/withdrawals', 'post'], ['/v1/account/deposits', 'post'], ['/v1/audit/streams/{streamId}/events', 'get']]) {
        expect(paths[path][method].security, `${method} ${path}`).toEqual([{ bearer: [] }]);
      }
      expect(paths['/v1/account/api-keys'].post.description).toContain('a bearer token only');
    });
  });

  describe('trading', () => {
    it('answers the account with decimal strings from integer cents', async () => {
      const body = (await get('/v2/account')).json();
      expect(body).toMatchObject({ id: account, status: 'ACTIVE', currency: 'USD', cash: '10000', buying_power: '10000', equity: '10000', pattern_day_trader: false });
      expect(typeof body.created_at).toBe('string');
    });

    it('places a limit order from decimal strings, lists it, finds it by client order id, and cancels it with 204', async () => {
      const placed = await trading.app.inject({ method: 'POST', url: '/v2/orders', headers: keys, payload: { symbol: 'AAPL', qty: '2', side: 'buy', type: 'limit', limit_price: '101.25', time_in_force: 'gtc', client_order_id: 'alpaca-1' } });
      expect(placed.statusCode, placed.body).toBe(200);
      expect(placed.json()).toMatchObject({ symbol: 'AAPL', qty: '2', limit_price: '101.25', status: 'pending_new', client_order_id: 'alpaca-1', type: 'limit', order_type: 'limit', time_in_force: 'gtc' });
      const head = placed.headers['x-position'] as string;

      const listed = await trading.app.inject({ method: 'GET', url: '/v2/orders?status=open&symbols=AAPL,MSFT&direction=asc', headers: { ...keys, 'x-min-position': head } });
      expect(listed.json().map((order: { client_order_id: string }) => order.client_order_id)).toContain('alpaca-1');
      const byClient = await trading.app.inject({ method: 'GET', url: '/v2/orders:by_client_order_id?client_order_id=alpaca-1', headers: keys });
      expect(byClient.statusCode, byClient.body).toBe(200);
      expect(byClient.json().id).toBe(placed.json().id);
      expect((await get('/v2/account')).json().buying_power).toBe('9797.5');

      const canceled = await trading.app.inject({ method: 'DELETE', url: `/v2/orders/${placed.json().id}`, headers: keys });
      expect(canceled.statusCode).toBe(204);
      expect(canceled.body).toBe('');
      const again = await trading.app.inject({ method: 'DELETE', url: `/v2/orders/${placed.json().id}`, headers: keys });
      expect(again.statusCode).toBe(422);
      expect(again.json()).toEqual({ code: 42210000, message: 'order is not cancelable' });
    });

    it('refuses what it does not trade by name, sub-penny prices and fractional shares with 422, and a bad body with 400', async () => {
      const post = (payload: unknown) => trading.app.inject({ method: 'POST', url: '/v2/orders', headers: keys, payload: payload as Record<string, unknown> });
      const stop = await post({ symbol: 'AAPL', qty: '1', side: 'buy', type: 'stop', stop_price: '10', time_in_force: 'day' });
      expect(stop.statusCode).toBe(422);
      expect(stop.json().message).toContain('order type stop is not supported');
      expect((await post({ symbol: 'AAPL', notional: '100', side: 'buy', type: 'market', time_in_force: 'day' })).json().message).toContain('notional');
      expect((await post({ symbol: 'AAPL', qty: '1', side: 'buy', type: 'limit', limit_price: '10.001', time_in_force: 'day' })).json().message).toContain('sub-penny');
      expect((await post({ symbol: 'AAPL', qty: '1.5', side: 'buy', type: 'market', time_in_force: 'day' })).statusCode).toBe(422);
      const bracket = await post({ symbol: 'AAPL', qty: '1', side: 'buy', type: 'market', time_in_force: 'day', order_class: 'bracket' });
      expect(bracket.json()).toEqual({ code: 42210000, message: expect.stringContaining('order_class bracket') });
      const malformed = await trading.app.inject({ method: 'POST', url: '/v2/orders', headers: { ...keys, 'content-type': 'application/json' }, payload: '{"symbol":' });
      expect(malformed.statusCode).toBe(400);
      expect(malformed.json().code).toBe(40010001);
      expect((await get('/v2/options/contracts')).json()).toEqual({ code: 42210000, message: expect.stringContaining('GET /v2/options/contracts is not supported') });
    });

    it('answers an order the account cannot pay for with 403 insufficient buying power', async () => {
      const response = await trading.app.inject({ method: 'POST', url: '/v2/orders', headers: keys, payload: { symbol: 'AAPL', qty: 1_000, side: 'buy', type: 'limit', limit_price: 500, time_in_force: 'day' } });
      expect(response.statusCode).toBe(403);
      expect(response.json()).toEqual({ code: 40310000, message: 'insufficient buying power' });
    });

    it('lists assets, finds one by symbol and by asset id, and has a clock and a calendar', async () => {
      const assets = (await get('/v2/assets')).json();
      expect(assets.length).toBe(58);
      const aapl = (await get('/v2/assets/AAPL')).json();
      expect(aapl).toMatchObject({ symbol: 'AAPL', class: 'us_equity', tradable: true, shortable: false, fractionable: false });
      expect((await get(`/v2/assets/${aapl.id}`)).json().symbol).toBe('AAPL');
      expect((await get('/v2/assets/NOPE')).statusCode).toBe(404);
      expect((await get('/v2/clock')).json()).toMatchObject({ is_open: true });
      expect((await get('/v2/calendar?start=2026-01-01&end=2026-01-03')).json().map((day: { date: string }) => day.date)).toEqual(['2026-01-01', '2026-01-02', '2026-01-03']);
    });

    it('lists activities in Alpaca’s shapes with page tokens', async () => {
      const deposit = await trading.app.inject({ method: 'POST', url: '/v1/account/deposits', headers: bearer(account), payload: { amountCents: 5_05, idempotencyKey: 'second' } });
      // The deposit's own position: the log's settled head trails it while any transaction on the server runs.
      const head = deposit.headers['x-position'] as string;
      const first = await trading.app.inject({ method: 'GET', url: '/v2/account/activities?page_size=1', headers: { ...keys, 'x-min-position': head } });
      expect(first.json()).toEqual([{ id: expect.stringMatching(/^\d{17}::[0-9a-f-]{36}$/), activity_type: 'CSD', date: expect.any(String), net_amount: '5.05', description: 'cash deposit', status: 'executed' }]);
      const next = (await get(`/v2/account/activities/CSD?page_size=10&page_token=${first.json()[0].id}`)).json();
      expect(next.map((activity: { net_amount: string }) => activity.net_amount)).toEqual(['10000']);
      expect((await get('/v2/account/activities/DIV')).statusCode).toBe(422);
    });
  });

  describe('market data', () => {
    it('answers latest quotes and trades and snapshots with JSON numbers, and bars from candles', async () => {
      const quote = (await get('/v2/stocks/AAPL/quotes/latest?feed=iex')).json();
      expect(quote).toEqual({ symbol: 'AAPL', quote: { ap: expect.any(Number), as: 0, ax: 'Q', bp: expect.any(Number), bs: 0, bx: 'Q', c: ['R'], t: expect.any(String), z: 'C' } });
      expect(quote.quote.ap).toBeGreaterThanOrEqual(quote.quote.bp);
      expect(Object.keys((await get('/v2/stocks/quotes/latest?symbols=AAPL,MSFT,NOPE')).json().quotes).sort()).toEqual(['AAPL', 'MSFT']);
      expect((await get('/v2/stocks/AAPL/trades/latest')).json().trade).toMatchObject({ p: expect.any(Number), x: 'Q' });
      expect((await get('/v2/stocks/AAPL/snapshot')).json()).toMatchObject({ symbol: 'AAPL', latestQuote: { ap: expect.any(Number) }, latestTrade: { p: expect.any(Number) } });
      expect((await get('/v2/stocks/AAPL/bars?timeframe=1Day')).json()).toEqual({ symbol: 'AAPL', bars: [], next_page_token: null });
      expect((await get('/v2/stocks/AAPL/bars?timeframe=5Min')).json().message).toContain('timeframe 5Min');
      expect((await get('/v2/stocks/NOPE/quotes/latest')).statusCode).toBe(404);
    });
  });
});
