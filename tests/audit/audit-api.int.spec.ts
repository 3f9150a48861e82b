import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountStreamId } from '../../domain/account/account.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres-test-database.ts';
import { bearer, startTradingApp, type TradingApp } from '../support/trading-app.ts';

interface AuditEvent {
  position: string;
  revision: string;
  id: string;
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  recordedAt: string;
}

describe('audit API (auditor and admin)', () => {
  let database: TestDatabase;
  let trading: TradingApp;
  const account = randomUUID();
  const auditor = bearer(randomUUID(), 'auditor');
  const admin = bearer(randomUUID(), 'admin');
  let placedAt: string;
  let canceledAt: string;
  let orderId: string;

  const get = (url: string, headers: Record<string, string> = auditor) => trading.app.inject({ method: 'GET', url, headers });

  beforeAll(async () => {
    database = await createTestDatabase('audit');
    trading = await startTradingApp({ EVENT_STORE: 'postgres', DATABASE_URL: database.appUrl });
    const headers = bearer(account);
    await trading.app.inject({ method: 'POST', url: '/v1/account/deposits', headers, payload: { amountCents: 1_000_000, idempotencyKey: 'd1' } });
    const placed = await trading.app.inject({
      method: 'POST',
      url: '/v1/orders',
      headers,
      payload: { clientOrderId: 'resting', symbol: 'AAPL', side: 'buy', type: 'limit', qty: 10, limitPriceCents: 15_000 },
    });
    orderId = placed.json().id;
    placedAt = placed.headers['x-position'] as string;
    const canceled = await trading.app.inject({ method: 'DELETE', url: `/v1/orders/${orderId}`, headers });
    canceledAt = canceled.headers['x-position'] as string;
    await trading.app.inject({ method: 'POST', url: '/v1/account/withdrawals', headers, payload: { amountCents: 2_500, idempotencyKey: 'w1' } });
    // Settled: the audit answers only from the part of the log that can no longer change.
    const [last] = await trading.readModels.query<{ position: string }>('SELECT max(position)::text AS position FROM events');
    while ((await trading.store.headPosition()) < BigInt(last!.position)) await new Promise((resolve) => setTimeout(resolve, 20));
  }, 60_000);
  afterAll(async () => {
    await trading?.close();
    await database?.drop();
  });

  describe('GET /v1/audit/streams/:streamId/events', () => {
    it('given an account stream, when an auditor reads it, then every event comes in order with positions and revisions as strings', async () => {
      const response = await get(`/v1/audit/streams/${accountStreamId(account)}/events`);
      expect(response.statusCode).toBe(200);
      const { events, nextFrom } = response.json() as { events: AuditEvent[]; nextFrom: string | null };
      expect(nextFrom).toBeNull();
      expect(events.map((event) => event.type)).toEqual(['FundsDeposited', 'FundsReserved', 'ReservationReleased', 'FundsWithdrawn']);
      expect(events.map((event) => event.revision)).toEqual(['0', '1', '2', '3']);
      const positions = events.map((event) => BigInt(event.position));
      expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : 1)));
      expect(new Set(positions).size).toBe(4);
      expect(events[0]).toMatchObject({ data: { accountId: account, amountCents: 1_000_000, idempotencyKey: 'd1' }, metadata: { principal: `account:${account}` } });
      expect(events[0]!.recordedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(events[0]!.id).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('given from and limit, when paging, then each page continues where the last one ended', async () => {
      const first = (await get(`/v1/audit/streams/${accountStreamId(account)}/events?limit=3`)).json() as { events: AuditEvent[]; nextFrom: string };
      expect(first.events.map((event) => event.revision)).toEqual(['0', '1', '2']);
      expect(first.nextFrom).toBe('3');
      const second = (await get(`/v1/audit/streams/${accountStreamId(account)}/events?from=${first.nextFrom}&limit=3`)).json() as { events: AuditEvent[]; nextFrom: string | null };
      expect(second.events.map((event) => event.revision)).toEqual(['3']);
      expect(second.nextFrom).toBeNull();
      const past = (await get(`/v1/audit/streams/${accountStreamId(account)}/events?from=40`)).json();
      expect(past).toEqual({ events: [], nextFrom: null });
    });

    it('given an order stream, when an admin reads it, then it sees the order\'s life', async () => {
      const response = await get(`/v1/audit/streams/order-${orderId}/events`, admin);
      expect(response.statusCode).toBe(200);
      expect((response.json().events as AuditEvent[]).map((event) => event.type)).toEqual(['OrderPlaced', 'OrderCanceled']);
    });

    it('given a stream that never had an event, then 404 not_found', async () => {
      const response = await get(`/v1/audit/streams/account-${randomUUID()}/events`);
      expect(response.statusCode).toBe(404);
      expect(response.json().error.code).toBe('not_found');
    });

    it.each([['from=-1'], ['from=abc'], ['from=1.5'], ['limit=0'], ['limit=1001'], ['limit=x'], ['from=99999999999999999999']])('given %s, then 400 invalid_request', async (query) => {
      const response = await get(`/v1/audit/streams/${accountStreamId(account)}/events?${query}`);
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe('invalid_request');
    });
  });

  describe('GET /v1/audit/accounts/:accountId/state', () => {
    const state = (at: string, headers = auditor) => get(`/v1/audit/accounts/${account}/state?at=${encodeURIComponent(at)}`, headers);

    it('given the position an order was placed at, then the account holds for it and the order is open', async () => {
      const response = await state(placedAt);
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(body.asOf).toEqual({ position: placedAt, time: null });
      expect(body.account).toEqual({ accountId: account, cashCents: 1_000_000, reservedCents: 150_000, buyingPowerCents: 850_000, version: 1 });
      expect(body.positions).toEqual([]);
      expect(body.openOrders).toHaveLength(1);
      expect(body.openOrders[0]).toMatchObject({ id: orderId, clientOrderId: 'resting', status: 'pending', qty: 10, limitPriceCents: 15_000, version: 0 });
    });

    it('given the position it was canceled at, then the hold is released and no order is open', async () => {
      const body = (await state(canceledAt)).json();
      expect(body.account).toMatchObject({ cashCents: 1_000_000, reservedCents: 0, version: 2 });
      expect(body.openOrders).toEqual([]);
    });

    it('given a time, then the answer is the account as recorded up to that time', async () => {
      const events = (await get(`/v1/audit/streams/${accountStreamId(account)}/events`)).json().events as AuditEvent[];
      const afterDeposit = (await state(events[0]!.recordedAt)).json();
      expect(afterDeposit.asOf.time).toBe(events[0]!.recordedAt);
      expect(afterDeposit.account).toMatchObject({ cashCents: 1_000_000, reservedCents: 0, version: 0 });
      const now = (await state(new Date().toISOString())).json();
      expect(now.account).toMatchObject({ cashCents: 997_500, reservedCents: 0, buyingPowerCents: 997_500, version: 3 });
    });

    it('given a moment before the account existed, then it is empty then', async () => {
      const body = (await state('2001-01-01T00:00:00.000Z')).json();
      expect(body.account).toEqual({ accountId: account, cashCents: 0, reservedCents: 0, buyingPowerCents: 0, version: -1 });
      expect(body.openOrders).toEqual([]);
    });

    it('given an account that never had an event, then 404 not_found', async () => {
      const response = await get(`/v1/audit/accounts/${randomUUID()}/state?at=${placedAt}`);
      expect(response.statusCode).toBe(404);
      expect(response.json().error.code).toBe('not_found');
    });

    it.each([['at=yesterday'], ['at=2026-13-45T00:00:00Z'], ['at=2026-01-01'], ['at=-5'], ['at=99999999999999999999'], ['']])('given %s, then 400 invalid_request naming the field', async (query) => {
      const response = await get(`/v1/audit/accounts/${account}/state?${query}`);
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toMatchObject({ code: 'invalid_request', details: [expect.objectContaining({ field: 'querystring.at' })] });
    });

    it('given an account id that is no UUID, then 400 invalid_request', async () => {
      const response = await get(`/v1/audit/accounts/not-a-uuid/state?at=1`);
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe('invalid_request');
    });
  });

  describe('roles', () => {
    it.each([[`/v1/audit/streams/${accountStreamId(account)}/events`], [`/v1/audit/accounts/${account}/state?at=1`]])(
      'given a trader, even of the account itself, when it asks %s, then 403 forbidden',
      async (url) => {
        for (const headers of [bearer(account), bearer(randomUUID())]) {
          const response = await get(url, headers);
          expect(response.statusCode).toBe(403);
          expect(response.json().error.code).toBe('forbidden');
        }
      },
    );

    it('given no token, then 401 unauthorized', async () => {
      const response = await trading.app.inject({ method: 'GET', url: `/v1/audit/streams/${accountStreamId(account)}/events` });
      expect(response.statusCode).toBe(401);
      expect(response.json().error.code).toBe('unauthorized');
    });

    it('documents both routes in OpenAPI', async () => {
      const document = (await trading.app.inject({ method: 'GET', url: '/docs/json' })).json();
      expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/v1/audit/streams/{streamId}/events', '/v1/audit/accounts/{accountId}/state']));
    });
  });
});
