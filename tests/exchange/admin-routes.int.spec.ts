import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExchangeSimulator } from '../../infrastructure/exchange-sim/exchange-simulator.ts';
import { createMetricsRegistry } from '../../infrastructure/observability/metrics.ts';
import { exchangeAdmin, newExchangeAdminToken } from '../../gateways/exchange/exchange-admin-client.ts';

const SYMBOL = 'AAPL';
const PIN_CENTS = 1;
const report = { type: 'execution', executionId: 'X-1', externalOrderId: 'EX-1', clientOrderId: 'c-1', symbol: SYMBOL, side: 'buy', qty: 1, priceCents: 100, leavesQty: 0 };

async function simulator(adminToken: string | undefined) {
  const exchange = new ExchangeSimulator({ seed: 3, universeSize: 10, ticksPerSecond: 0, ...(adminToken ? { adminToken } : {}), logger: pino({ level: 'silent' }), metrics: createMetricsRegistry('sim-admin') });
  return { exchange, url: await exchange.listen('127.0.0.1', 0) };
}

/** Every admin call, as a client without the right token would send it. */
const adminCalls: Array<[method: 'GET' | 'POST', path: string, body?: unknown]> = [
  ['POST', '/admin/pins', { symbol: SYMBOL, priceCents: PIN_CENTS }],
  ['POST', '/admin/reports', report],
  ['GET', '/admin/faults'],
  ['POST', '/admin/faults', { errorRate: 1 }],
  ['POST', '/admin/ticks', { ticksPerSecond: 100_000 }],
  ['POST', '/admin/close-day'],
];

function call(url: string, [method, path, body]: (typeof adminCalls)[number], headers: Record<string, string>): Promise<Response> {
  return fetch(`${url}${path}`, { method, headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
}

/** What the admin calls above would have changed, had any of them gone through. */
function untouched(exchange: ExchangeSimulator, priceBefore: number): void {
  for (let i = 0; i < 5; i += 1) exchange.tick(SYMBOL);
  expect(exchange.market.quote(SYMBOL)!.priceCents).not.toBe(PIN_CENTS);
  expect(exchange.market.quote(SYMBOL)!.priceCents).toBeGreaterThan(priceBefore / 2);
  expect(exchange.feed.lastSeq).toBe(0);
  expect(exchange.faults.settings.errorRate).toBe(0);
}

describe('the simulated exchange\'s admin routes', () => {
  describe('given a simulator started with an admin token', () => {
    const token = newExchangeAdminToken();
    let sim: Awaited<ReturnType<typeof simulator>>;
    beforeAll(async () => {
      sim = await simulator(token);
    });
    afterAll(() => sim.exchange.close());

    it('when a caller brings no token, a wrong one, or another scheme, then every admin route answers 401 and changes nothing', async () => {
      const priceBefore = sim.exchange.market.quote(SYMBOL)!.priceCents;
      const wrong: Array<Record<string, string>> = [{}, { authorization: `Bearer ${newExchangeAdminToken()}` }, { authorization: `Bearer ${token}x` }, { authorization: `Bearer ${token.slice(0, -1)}` }, { authorization: token }, { authorization: `Basic ${token}` }];
      for (const headers of wrong) {
        for (const adminCall of adminCalls) {
          const response = await call(sim.url, adminCall, headers);
          expect(response.status, `${adminCall[0]} ${adminCall[1]} with ${JSON.stringify(headers).slice(0, 30)}`).toBe(401);
          expect(await response.json()).toEqual({ error: 'unauthorized' });
        }
      }
      untouched(sim.exchange, priceBefore);
    });

    it('when the path is spelt another way (percent-encoded, trailing slash), then it is still refused', async () => {
      const priceBefore = sim.exchange.market.quote(SYMBOL)!.priceCents;
      for (const path of ['/%61dmin/pins', '/admin/%70ins', '/admin/pins/', '//admin/pins']) {
        const response = await fetch(`${sim.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ symbol: SYMBOL, priceCents: PIN_CENTS }) });
        expect([401, 404], path).toContain(response.status);
      }
      untouched(sim.exchange, priceBefore);
    });

    it('when the caller brings the token, then the admin routes work: a pin holds the price', async () => {
      const admin = exchangeAdmin(sim.url, token);
      const pinned = await admin.post('/admin/pins', { symbol: SYMBOL, priceCents: 12_345 });
      expect(pinned.status).toBe(200);
      for (let i = 0; i < 5; i += 1) sim.exchange.tick(SYMBOL);
      expect(sim.exchange.market.quote(SYMBOL)!.priceCents).toBe(12_345);
      expect((await admin.post('/admin/reports', report)).status).toBe(200);
      expect(sim.exchange.feed.lastSeq).toBe(1);
      expect(await (await admin.get('/admin/faults')).json()).toMatchObject({ errorRate: 0 });
      expect((await admin.post('/admin/pins', { symbol: SYMBOL, priceCents: null })).status).toBe(200);
    });

    it('leaves the order API and the health check open to the exchange\'s clients', async () => {
      expect((await fetch(`${sim.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${sim.url}/v1/quotes/${SYMBOL}`)).status).toBe(200);
    });
  });

  describe('given a simulator started without an admin token', () => {
    it('then the admin routes do not exist (404), whatever the caller brings, and change nothing', async () => {
      const sim = await simulator(undefined);
      try {
        const priceBefore = sim.exchange.market.quote(SYMBOL)!.priceCents;
        const callers: Array<Record<string, string>> = [{}, { authorization: 'Bearer ' }, { authorization: `Bearer ${newExchangeAdminToken()}` }];
        for (const headers of callers) {
          for (const adminCall of adminCalls) expect((await call(sim.url, adminCall, headers)).status).toBe(404);
        }
        untouched(sim.exchange, priceBefore);
      } finally {
        await sim.exchange.close();
      }
    });
  });
});
