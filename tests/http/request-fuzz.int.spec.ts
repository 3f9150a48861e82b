import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/postgres-test-database.ts';
import { bearer, startTradingApp, type TradingApp } from '../support/trading-app.ts';

/** Anything a client can send: JSON values of every shape, near-miss orders, and raw bytes. */
const jsonValue = fc.jsonValue({ maxDepth: 3 });
const nearMissOrder = fc.record(
  {
    clientOrderId: fc.oneof(fc.string({ maxLength: 80 }), fc.integer(), fc.constant(null)),
    symbol: fc.oneof(fc.constantFrom('AAPL', 'aapl', 'TSLA', '', 'A'.repeat(20), 'NOPE'), fc.string()),
    side: fc.oneof(fc.constantFrom('buy', 'sell', 'BUY', 'short'), jsonValue),
    type: fc.oneof(fc.constantFrom('market', 'limit', 'stop'), jsonValue),
    qty: fc.oneof(fc.integer({ min: -5, max: 2_000_000_000 }), fc.double(), fc.constant(Number.MAX_SAFE_INTEGER), fc.string()),
    limitPriceCents: fc.oneof(fc.integer({ min: -5, max: 10_000_000_000_000 }), fc.double({ noNaN: true }), fc.constant(null)),
    timeInForce: fc.oneof(fc.constantFrom('day', 'gtc', 'ioc', 'fok', 'opg'), jsonValue),
    extra: jsonValue,
  },
  { requiredKeys: [] },
);
const nearMissFunds = fc.record(
  { amountCents: fc.oneof(fc.integer({ min: -10, max: Number.MAX_SAFE_INTEGER }), fc.double(), fc.string(), fc.constant(null)), idempotencyKey: fc.oneof(fc.string({ maxLength: 200 }), fc.integer()) },
  { requiredKeys: [] },
);
const rawBody = fc.oneof(
  jsonValue.map((value) => JSON.stringify(value)),
  nearMissOrder.map((value) => JSON.stringify(value)),
  nearMissFunds.map((value) => JSON.stringify(value)),
  fc.string({ maxLength: 300 }),
  fc.constantFrom('{', '{"qty": 1e400}', '[]', 'null', '{"__proto__": {"admin": true}}', '\u0000', '{"qty": -0}'),
);

describe('request fuzzing (fast-check)', () => {
  let database: TestDatabase;
  let trading: TradingApp;
  const account = randomUUID();

  beforeAll(async () => {
    database = await createTestDatabase('fuzz');
    trading = await startTradingApp({ EVENT_STORE: 'postgres', DATABASE_URL: database.appUrl }, { projector: false });
    await trading.app.inject({ method: 'POST', url: '/v1/account/deposits', headers: bearer(account), payload: { amountCents: 1_000_000, idempotencyKey: 'seed' } });
  });
  afterAll(async () => {
    await trading?.close();
    await database?.drop();
  });

  it('answers thousands of random and malformed bodies with 2xx or a 4xx in the contract format, never a 5xx', async () => {
    const routes = ['/v1/orders', '/v1/account/deposits', '/v1/account/withdrawals'];
    let answered = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), rawBody, fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded'), async (url, body, contentType) => {
        const response = await trading.app.inject({ method: 'POST', url, headers: { ...bearer(account), 'content-type': contentType }, payload: body });
        answered += 1;
        expect(response.statusCode).toBeLessThan(500);
        if (response.statusCode >= 400) {
          const parsed = response.json();
          expect(Object.keys(parsed)).toEqual(['error']);
          expect(parsed.error.code).toMatch(/^[a-z_]+$/);
          expect(typeof parsed.error.message).toBe('string');
        }
      }),
      { numRuns: 3_000 },
    );
    expect(answered).toBe(3_000);
  }, 120_000);

  it('answers random query strings and ids on the query routes with 2xx or a contract 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/v1/orders?', '/v1/orders/', '/v1/account/activities?', '/v1/symbols/', '/v1/symbols?'), fc.string({ maxLength: 60 }), async (prefix, tail) => {
        const response = await trading.app.inject({ method: 'GET', url: prefix + encodeURI(tail).replace(/#/g, '%23'), headers: bearer(account) });
        expect(response.statusCode).toBeLessThan(500);
        if (response.statusCode >= 400) expect(response.json().error.code).toMatch(/^[a-z_]+$/);
      }),
      { numRuns: 1_000 },
    );
  }, 60_000);
});
