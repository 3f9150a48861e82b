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

/** Numbers as a client can write them: past 64 bits, past 2^53, negative, exponents, decimals, padded, and plain garbage. */
const numericText = fc.oneof(
  fc.constantFrom('9223372036854775807', '9223372036854775808', '18446744073709551616', '99999999999999999999', '-9223372036854775809', '9007199254740993', '-1', '0', '-0', '1e400', '1e21', '1.5', 'NaN', 'Infinity', '-Infinity', '0x10', '00000000000000000001', ' 1', ''),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
  fc.double().map(String),
);
/** Times as a client can write them, at and past the ends of what a Date and PostgreSQL hold. */
const timeText = fc.oneof(
  fc.constantFrom('-271821-04-20T00:00:00Z', '+275760-09-13T00:00:00.000Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', '1', '-1', '2026-02-30', '1970-01-01'),
  numericText,
  fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
);
const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** Page tokens and cursors of the shapes this API gives out, with numbers and times of every range inside. */
const cursorText = fc.oneof(
  numericText.map((n) => cursorOf([n])),
  fc.tuple(timeText, fc.uuid()).map(([time, id]) => cursorOf([time, id])),
  fc.tuple(fc.oneof(fc.integer(), fc.double(), fc.constant(1e300)), fc.oneof(fc.integer(), fc.double(), fc.constant(-1e300))).map(([s, f]) => cursorOf({ s, f })),
  fc.string({ maxLength: 40 }),
);
/** Every numeric (or numeric-bearing) query, path and header value of /v1, /v2, audit, candles and cursors; `{}` takes the value. */
const numericTargets: ReadonlyArray<readonly [template: string, value: fc.Arbitrary<string>]> = [
  ['/v1/audit/streams/account-00000000-0000-0000-0000-000000000000/events?from={}', numericText],
  ['/v1/audit/streams/account-00000000-0000-0000-0000-000000000000/events?limit={}', numericText],
  ['/v1/audit/accounts/00000000-0000-0000-0000-000000000000/state?at={}', timeText],
  ['/v1/orders?limit={}', numericText],
  ['/v1/orders?cursor={}', cursorText],
  ['/v1/account/activities?limit={}', numericText],
  ['/v1/account/activities?cursor={}', cursorText],
  ['/v1/symbols?limit={}', numericText],
  ['/v1/symbols?cursor={}', cursorText],
  ['/v1/symbols/AAPL/candles?limit={}', numericText],
  ['/v1/symbols/AAPL/candles?interval=1s&from={}', timeText],
  ['/v1/symbols/AAPL/candles?interval=1d&to={}', timeText],
  ['/v2/orders?limit={}', numericText],
  ['/v2/orders?status=all&after={}', timeText],
  ['/v2/orders?status=all&until={}', timeText],
  ['/v2/account/activities?page_size={}', numericText],
  ['/v2/account/activities?date={}', timeText],
  ['/v2/account/activities?after={}', timeText],
  ['/v2/account/activities?until={}', timeText],
  ['/v2/account/activities?page_token={}', cursorText],
  ['/v2/stocks/AAPL/bars?timeframe=1Min&limit={}', numericText],
  ['/v2/stocks/AAPL/bars?timeframe=1Min&start={}', timeText],
  ['/v2/stocks/AAPL/bars?timeframe=1Day&end={}', timeText],
  ['/v2/stocks/AAPL/bars?timeframe=1Min&page_token={}', cursorText],
  ['/v2/stocks/bars?symbols=AAPL,MSFT&timeframe=1Hour&page_token={}', cursorText],
  ['/v2/orders/{}', numericText],
  ['/v1/orders/{}', numericText],
];

describe('request fuzzing (fast-check)', () => {
  let database: TestDatabase;
  let trading: TradingApp;
  const account = randomUUID();

  beforeAll(async () => {
    database = await createTestDatabase('fuzz');
    trading = await startTradingApp({ EVENT_STORE: 'postgres', DATABASE_URL: database.appUrl });
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

  it('range-checks every numeric query, path and header value: a 2xx, or a 4xx in the face\'s error format, never a 5xx', async () => {
    const auditor = bearer(randomUUID(), 'auditor');
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...numericTargets).chain(([template, value]) => value.map((text) => ({ template, text }))),
        async ({ template, text }) => {
          const url = template.replace('{}', encodeURIComponent(text));
          const response = await trading.app.inject({ method: 'GET', url, headers: url.startsWith('/v1/audit') ? auditor : bearer(account) });
          expect(response.statusCode, `${url} ${text}: ${response.body.slice(0, 200)}`).toBeLessThan(500);
          if (response.statusCode < 400) return;
          const body = response.json();
          if (url.startsWith('/v2/')) expect(body).toEqual({ code: expect.any(Number), message: expect.any(String) });
          else expect(body.error).toMatchObject({ code: expect.stringMatching(/^[a-z_]+$/), message: expect.any(String) });
          if (response.statusCode === 400 && !url.startsWith('/v2/')) expect(body.error.code).toBe('invalid_request');
        },
      ),
      { numRuns: 3_000, seed: 20_261_203 },
    );
  }, 180_000);

  it('answers a value one past a 64-bit position with 400 invalid_request, and the largest one normally', async () => {
    const auditor = bearer(randomUUID(), 'auditor');
    const stream = `/v1/audit/streams/account-${account}/events`;
    const past = await trading.app.inject({ method: 'GET', url: `${stream}?from=9223372036854775808`, headers: auditor });
    expect(past.statusCode).toBe(400);
    expect(past.json().error).toMatchObject({ code: 'invalid_request', details: [{ field: 'querystring.from', message: expect.any(String) }] });
    expect((await trading.app.inject({ method: 'GET', url: `${stream}?from=9223372036854775807`, headers: auditor })).statusCode).toBe(200);
    const cursor = Buffer.from(JSON.stringify(['9223372036854775808'])).toString('base64url');
    expect((await trading.app.inject({ method: 'GET', url: `/v1/account/activities?cursor=${cursor}`, headers: bearer(account) })).json().error.code).toBe('invalid_request');
  });

  it('refuses an X-Min-Position that is no 64-bit position with 400 at once, on /v1 and /v2', async () => {
    for (const value of ['9223372036854775808', '99999999999999999999', '-1', '1e3', '0x10', ' 7', 'abc', '']) {
      for (const url of ['/v1/account', '/v2/account']) {
        const started = performance.now();
        const response = await trading.app.inject({ method: 'GET', url, headers: { ...bearer(account), 'x-min-position': value } });
        expect(response.statusCode, `${url} ${value}`).toBe(url.startsWith('/v2') ? 422 : 400);
        expect(performance.now() - started).toBeLessThan(1_000);
      }
    }
  });

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
