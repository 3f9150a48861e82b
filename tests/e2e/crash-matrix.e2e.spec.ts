import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeOrderSnapshot } from '../../application/exchange/exchange.ts';
import { orderIdFor } from '../../application/shared/deterministic-ids.ts';
import { startSimulator, type SimulatorProcess } from '../support/exchange-simulator.ts';
import { createTestDatabase, TEST_ADMIN_URL, type TestDatabase } from '../support/postgres-test-database.ts';
import { freePort, startTradingCore, type StartedProcess } from '../support/processes.ts';
import { runReplay } from '../support/replay-cli.ts';
import { TEST_JWT_SECRET, tokenFor } from '../support/trading-app.ts';

const DEPOSIT = 10_000_000;

type Answer = { status: number; json: Record<string, unknown> & { id?: string; status?: string }; headers: Headers };
type Outcome = 'filled' | 'canceled';

/**
 * Crash matrix (issues 4 and 13): the worker, the API and the projector are killed with SIGKILL
 * right after a workflow step (or mid-flow), restarted, and every order must converge to the
 * exchange's truth — buys and sells, cash and share holds: no lost order, no double fill, no hold
 * left behind, cash and every position equal to what the exchange executed.
 */
describe('crash matrix: kill -9 between workflow steps, restart, converge', () => {
  let database: TestDatabase;
  let exchange: SimulatorProcess;
  let projector: StartedProcess;
  let environment: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase('crash');
    exchange = await startSimulator();
    environment = {
      EVENT_STORE: 'postgres',
      DATABASE_URL: database.appUrl,
      DATABASE_ADMIN_URL: TEST_ADMIN_URL,
      EXCHANGE_URL: exchange.url,
      JWT_SECRET: TEST_JWT_SECRET,
      PAPER_FUNDING: 'true',
      RATE_LIMIT_STORE: 'memory',
      UNIVERSE_SIZE: '50',
      RECONCILE_EVERY_MS: '300',
      RECONCILE_AFTER_MS: '1000',
      LOG_LEVEL: 'warn',
    };
    projector = await startProjector();
  }, 90_000);
  afterAll(async () => {
    await projector?.stop();
    await exchange?.stop();
    await database?.drop();
  });

  async function startProjector(): Promise<StartedProcess> {
    const port = await freePort();
    return startTradingCore(['projector'], { ...environment, METRICS_PORT: String(port) }, async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok);
  }

  async function startApi(crashAt?: string): Promise<{ process: StartedProcess; url: string }> {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const process = await startTradingCore(['api'], { ...environment, API_PORT: String(port), ...(crashAt ? { CRASH_AT: crashAt } : {}) }, async () => (await fetch(`${url}/healthz`)).ok);
    return { process, url };
  }

  async function startWorker(crashAt?: string): Promise<StartedProcess> {
    const port = await freePort();
    return startTradingCore(['worker'], { ...environment, METRICS_PORT: String(port), ...(crashAt ? { CRASH_AT: crashAt } : {}) }, async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok);
  }

  async function call(url: string, account: string, method: string, path: string, body?: unknown): Promise<Answer | 'connection lost'> {
    try {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${tokenFor(account)}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: response.status, json: (await response.json()) as Answer['json'], headers: response.headers };
    } catch {
      return 'connection lost';
    }
  }

  async function quote(symbol: string): Promise<{ askCents: number; bidCents: number }> {
    return (await (await fetch(`${exchange.url}/v1/quotes/${symbol}`)).json()) as { askCents: number; bidCents: number };
  }

  /** A buy limit above the ask and a sell limit below the bid: both fill at once. */
  const marketable = async (symbol: string, side: 'buy' | 'sell') => (side === 'buy' ? (await quote(symbol)).askCents + 2_000 : Math.max(1, (await quote(symbol)).bidCents - 2_000));

  async function exited(process: StartedProcess): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (process.child.exitCode === null && process.child.signalCode === null) {
      if (Date.now() > deadline) throw new Error(`the process did not crash:\n${process.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(process.child.signalCode).toBe('SIGKILL');
  }

  async function until(what: string, check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(what);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function status(url: string, account: string, orderId: string): Promise<string | undefined> {
    const order = await call(url, account, 'GET', `/v1/orders/${orderId}`);
    return order === 'connection lost' ? undefined : order.json.status;
  }

  /**
   * Waits until each order is as expected here and at the exchange, the account holds nothing,
   * and its cash and every position equal what the exchange executed for these orders.
   */
  async function converged(url: string, account: string, expected: Record<string, Outcome>): Promise<void> {
    const deadline = Date.now() + 30_000;
    let last = '';
    while (Date.now() < deadline) {
      let cash = DEPOSIT;
      const shares: Record<string, number> = {};
      let agree = true;
      for (const [orderId, outcome] of Object.entries(expected)) {
        const answer = await fetch(`${exchange.url}/v1/orders?clientOrderId=${orderId}`);
        const truth = (answer.ok ? await answer.json() : { status: 'unknown', executions: [], filledQty: 0 }) as Omit<ExchangeOrderSnapshot, 'status'> & { status: string };
        for (const execution of truth.executions) {
          const sign = execution.side === 'buy' ? 1 : -1;
          cash -= sign * execution.qty * execution.priceCents;
          shares[execution.symbol] = (shares[execution.symbol] ?? 0) + sign * execution.qty;
        }
        const order = await call(url, account, 'GET', `/v1/orders/${orderId}`);
        const here = order === 'connection lost' ? undefined : order.json;
        // An order canceled before it was routed is unknown at the exchange, rightly.
        const exchangeAgrees = truth.status === outcome || (outcome === 'canceled' && truth.status === 'unknown');
        if (here?.status !== outcome || !exchangeAgrees || here.filledQty !== truth.filledQty) agree = false;
      }
      const view = await call(url, account, 'GET', '/v1/account');
      const positions = await call(url, account, 'GET', '/v1/positions');
      if (view !== 'connection lost' && positions !== 'connection lost') {
        const held = (positions.json.positions as Array<{ symbol: string; qty: number; reservedQty: number }>) ?? [];
        const positionsHere = Object.fromEntries(held.filter((position) => position.qty !== 0).map((position) => [position.symbol, position.qty]));
        const positionsThere = Object.fromEntries(Object.entries(shares).filter(([, qty]) => qty !== 0));
        last = JSON.stringify({ view: view.json, held, positionsThere, cash });
        if (agree && view.json.reservedCents === 0 && view.json.cashCents === cash && held.every((position) => position.reservedQty === 0) && JSON.stringify(positionsHere) === JSON.stringify(positionsThere)) return;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`did not converge: ${last}`);
  }

  async function funded(url: string): Promise<string> {
    const account = randomUUID();
    const deposit = await call(url, account, 'POST', '/v1/account/deposits', { amountCents: DEPOSIT, idempotencyKey: 'fund' });
    expect(deposit !== 'connection lost' && deposit.status).toBe(201);
    return account;
  }

  /** Shares to sell: a marketable buy, filled. */
  async function buyShares(url: string, account: string, symbol: string, qty: number): Promise<string> {
    const bought = await call(url, account, 'POST', '/v1/orders', { clientOrderId: `shares-${symbol}`, symbol, side: 'buy', type: 'limit', qty, limitPriceCents: await marketable(symbol, 'buy') });
    expect(bought !== 'connection lost' && bought.status).toBe(201);
    const orderId = (bought as Answer).json.id!;
    await until('the shares were never bought', async () => (await status(url, account, orderId)) === 'filled');
    return orderId;
  }

  it.each(['buy', 'sell'] as const)('API killed after storing a %s pending (before its hold): restarted, the reconciler holds, routes and fills it', async (side) => {
    const worker = await startWorker();
    const api = await startApi();
    const crashing = await startApi('order-stored');
    let restarted: { process: StartedProcess; url: string } | undefined;
    try {
      const account = await funded(api.url);
      const expected: Record<string, Outcome> = {};
      if (side === 'sell') expected[await buyShares(api.url, account, 'MSFT', 5)] = 'filled';
      const sent = await call(crashing.url, account, 'POST', '/v1/orders', { clientOrderId: 'a', symbol: 'MSFT', side, type: 'limit', qty: 3, limitPriceCents: await marketable('MSFT', side) });
      expect(sent).toBe('connection lost');
      await exited(crashing.process);
      restarted = await startApi();
      await converged(restarted.url, account, { ...expected, [orderIdFor(account, 'a')]: 'filled' });
    } finally {
      await restarted?.process.stop();
      await crashing.process.stop();
      await api.process.stop();
      await worker.stop();
    }
  }, 90_000);

  it.each([
    ['buy', 'after the exchange accepted (before recording it)', 'exchange-accepted'],
    ['buy', 'after a fill was recorded on the order (before it was settled)', 'fill-recorded'],
    ['sell', 'after the exchange accepted (before recording it)', 'exchange-accepted'],
    ['sell', 'after a fill was recorded on the order (before it was settled)', 'fill-recorded'],
  ] as const)('worker killed on a %s %s: restarted, it converges without a double fill', async (side, _, crashAt) => {
    const api = await startApi();
    const expected: Record<string, Outcome> = {};
    const account = await funded(api.url);
    if (side === 'sell') {
      const worker = await startWorker();
      try {
        expected[await buyShares(api.url, account, 'NVDA', 6)] = 'filled';
      } finally {
        await worker.stop();
      }
    }
    const crashing = await startWorker(crashAt);
    try {
      const placed = await call(api.url, account, 'POST', '/v1/orders', { clientOrderId: 'w', symbol: 'NVDA', side, type: 'limit', qty: 4, limitPriceCents: await marketable('NVDA', side) });
      expect(placed !== 'connection lost' && placed.status).toBe(201);
      await exited(crashing);
      const restarted = await startWorker();
      try {
        await converged(api.url, account, { ...expected, [(placed as Answer).json.id!]: 'filled' });
      } finally {
        await restarted.stop();
      }
    } finally {
      await crashing.stop();
      await api.process.stop();
    }
  }, 90_000);

  it.each([
    ['API', 'cancel-stored'],
    ['worker', 'cancel-sent'],
  ])('%s killed after pending_cancel: restarted, the cancel completes and the hold is released', async (who, crashAt) => {
    const crashingApi = who === 'API';
    const started: StartedProcess[] = [];
    let api = await startApi(crashingApi ? crashAt : undefined);
    started.push(api.process);
    let worker = await startWorker(crashingApi ? undefined : crashAt);
    started.push(worker);
    try {
      const account = await funded(api.url);
      const placed = await call(api.url, account, 'POST', '/v1/orders', { clientOrderId: 'c', symbol: 'TSLA', side: 'buy', type: 'limit', qty: 2, limitPriceCents: 100, timeInForce: 'gtc' });
      const orderId = (placed as Answer).json.id!;
      await until('the order was never submitted', async () => (await status(api.url, account, orderId)) === 'submitted');
      await call(api.url, account, 'DELETE', `/v1/orders/${orderId}`);
      if (crashingApi) {
        await exited(api.process);
        api = await startApi();
        started.push(api.process);
      } else {
        await exited(worker);
        worker = await startWorker();
        started.push(worker);
      }
      await converged(api.url, account, { [orderId]: 'canceled' });
    } finally {
      for (const process of started.reverse()) await process.stop();
    }
  }, 90_000);

  it.each(['buy', 'sell'] as const)('API killed canceling a %s never routed (the order ended, its hold not yet released): the reconciler releases the hold', async (side) => {
    const started: StartedProcess[] = [];
    const api = await startApi();
    started.push(api.process);
    try {
      const account = await funded(api.url);
      const expected: Record<string, Outcome> = {};
      if (side === 'sell') {
        const worker = await startWorker();
        try {
          expected[await buyShares(api.url, account, 'SPY', 3)] = 'filled';
        } finally {
          await worker.stop();
        }
      }
      // No worker runs: the order is held but never routed, so its cancel ends it at once.
      const placed = await call(api.url, account, 'POST', '/v1/orders', { clientOrderId: 'u', symbol: 'SPY', side, type: 'limit', qty: 2, limitPriceCents: side === 'buy' ? 100 : 100_000_000, timeInForce: 'gtc' });
      expect(placed !== 'connection lost' && placed.status).toBe(201);
      const orderId = (placed as Answer).json.id!;
      const crashing = await startApi('cancel-stored');
      started.push(crashing.process);
      expect(await call(crashing.url, account, 'DELETE', `/v1/orders/${orderId}`)).toBe('connection lost');
      await exited(crashing.process);
      const held = await call(api.url, account, 'GET', side === 'buy' ? '/v1/account' : '/v1/positions');
      expect(held !== 'connection lost' && JSON.stringify(held.json)).toMatch(side === 'buy' ? /"reservedCents":200\b/ : /"reservedQty":2\b/);
      started.push(await startWorker());
      await converged(api.url, account, { ...expected, [orderId]: 'canceled' });
    } finally {
      for (const process of started.reverse()) await process.stop();
    }
  }, 90_000);

  it('projector killed while orders flow: restarted, the read models converge and equal a replay from zero', async () => {
    const api = await startApi();
    const worker = await startWorker();
    try {
      const account = await funded(api.url);
      const expected: Record<string, Outcome> = {};
      const orders = Array.from({ length: 12 }, (_, i) => i);
      const placing = (async () => {
        for (const i of orders) {
          const side = i % 3 === 2 ? 'sell' : 'buy';
          const placed = await call(api.url, account, 'POST', '/v1/orders', { clientOrderId: `p-${i}`, symbol: 'META', side, type: 'limit', qty: 1, limitPriceCents: await marketable('META', side) });
          if (placed !== 'connection lost' && placed.status === 201) expected[placed.json.id!] = 'filled';
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 500));
      await projector.stop('SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 500));
      projector = await startProjector();
      await placing;
      expect(Object.keys(expected).length).toBeGreaterThan(6);
      await converged(api.url, account, expected);
      const verified = await runReplay(database, 'verify');
      expect(verified.code, `${verified.stdout}\n${verified.stderr}`).toBe(0);
    } finally {
      await worker.stop();
      await api.process.stop();
    }
  }, 120_000);
});
