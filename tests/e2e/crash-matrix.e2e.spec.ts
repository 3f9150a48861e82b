import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeOrderSnapshot } from '../../application/exchange/exchange.ts';
import { createTestDatabase, TEST_ADMIN_URL, type TestDatabase } from '../support/postgres-test-database.ts';
import { freePort, startTradingCore, type StartedProcess } from '../support/processes.ts';
import { TEST_JWT_SECRET, tokenFor } from '../support/trading-app.ts';

/**
 * Crash matrix (issue 4): the worker, and separately the API, are killed with SIGKILL right after
 * a workflow step, restarted, and every order must converge to the exchange's truth: no lost
 * order, no double fill, no leaked hold.
 */
describe('crash matrix: kill -9 between workflow steps, restart, converge', () => {
  let database: TestDatabase;
  let exchange: StartedProcess;
  let projector: StartedProcess;
  let environment: Record<string, string>;
  let exchangeUrl: string;

  beforeAll(async () => {
    database = await createTestDatabase('crash');
    const exchangePort = await freePort();
    exchangeUrl = `http://127.0.0.1:${exchangePort}`;
    exchange = await startTradingCore(['exchange-sim'], { EXCHANGE_PORT: String(exchangePort), EXCHANGE_TICKS_PER_SECOND: '200', UNIVERSE_SIZE: '50', LOG_LEVEL: 'warn' }, async () => (await fetch(`${exchangeUrl}/healthz`)).ok);
    environment = {
      EVENT_STORE: 'postgres',
      DATABASE_URL: database.appUrl,
      DATABASE_ADMIN_URL: TEST_ADMIN_URL,
      EXCHANGE_URL: exchangeUrl,
      JWT_SECRET: TEST_JWT_SECRET,
      PAPER_FUNDING: 'true',
      RATE_LIMIT_STORE: 'memory',
      UNIVERSE_SIZE: '50',
      RECONCILE_EVERY_MS: '300',
      RECONCILE_AFTER_MS: '1000',
      LOG_LEVEL: 'warn',
    };
    const projectorPort = await freePort();
    projector = await startTradingCore(['projector'], { ...environment, METRICS_PORT: String(projectorPort) }, async () => (await fetch(`http://127.0.0.1:${projectorPort}/readyz`)).ok);
  }, 90_000);
  afterAll(async () => {
    await projector?.stop();
    await exchange?.stop();
    await database?.drop();
  });

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

  type Answer = { status: number; json: Record<string, unknown> & { id?: string; status?: string }; headers: Headers };

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

  async function marketableBuy(symbol: string): Promise<number> {
    const quote = (await (await fetch(`${exchangeUrl}/v1/quotes/${symbol}`)).json()) as { askCents: number };
    return quote.askCents + 2_000;
  }

  async function exited(process: StartedProcess): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (process.child.exitCode === null && process.child.signalCode === null) {
      if (Date.now() > deadline) throw new Error(`the process did not crash:\n${process.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(process.child.signalCode).toBe('SIGKILL');
  }

  /** Waits until the order matches the exchange and the account holds nothing for ended orders. */
  async function converged(url: string, account: string, orderId: string, expected: 'filled' | 'canceled', depositCents: number): Promise<void> {
    const deadline = Date.now() + 30_000;
    let last = '';
    while (Date.now() < deadline) {
      const answer = await fetch(`${exchangeUrl}/v1/orders?clientOrderId=${orderId}`);
      const snapshot = (answer.ok ? await answer.json() : { status: 'unknown', executions: [], filledQty: 0 }) as ExchangeOrderSnapshot;
      const order = await call(url, account, 'GET', `/v1/orders/${orderId}`);
      const view = await call(url, account, 'GET', '/v1/account');
      if (order !== 'connection lost' && view !== 'connection lost' && order.status === 200) {
        const spent = snapshot.executions.reduce((sum, execution) => sum + execution.qty * execution.priceCents, 0);
        last = JSON.stringify({ order: order.json, view: view.json, exchange: snapshot.status });
        if (order.json.status === expected && snapshot.status === expected && order.json.filledQty === snapshot.filledQty && view.json.reservedCents === 0 && view.json.cashCents === depositCents - spent) return;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`did not converge: ${last}`);
  }

  async function funded(url: string): Promise<string> {
    const account = randomUUID();
    const deposit = await call(url, account, 'POST', '/v1/account/deposits', { amountCents: 10_000_000, idempotencyKey: 'fund' });
    expect(deposit !== 'connection lost' && deposit.status).toBe(201);
    return account;
  }

  it('API killed after storing pending (before the hold): restarted, the reconciler holds, routes and fills the order', async () => {
    const worker = await startWorker();
    const crashing = await startApi('order-stored');
    let restarted: { process: StartedProcess; url: string } | undefined;
    try {
      const account = await funded(crashing.url);
      const sent = await call(crashing.url, account, 'POST', '/v1/orders', { clientOrderId: 'a', symbol: 'MSFT', side: 'buy', type: 'limit', qty: 3, limitPriceCents: await marketableBuy('MSFT') });
      expect(sent).toBe('connection lost');
      await exited(crashing.process);
      restarted = await startApi();
      const { orderIdFor } = await import('../../application/shared/deterministic-ids.ts');
      await converged(restarted.url, account, orderIdFor(account, 'a'), 'filled', 10_000_000);
    } finally {
      await restarted?.process.stop();
      await crashing.process.stop();
      await worker.stop();
    }
  }, 90_000);

  it.each([
    ['after the exchange accepted (before recording it)', 'exchange-accepted'],
    ['after a fill was recorded on the order (before it was settled)', 'fill-recorded'],
  ])('worker killed %s: restarted, it converges without a double fill', async (_, crashAt) => {
    const api = await startApi();
    const crashing = await startWorker(crashAt);
    try {
      const account = await funded(api.url);
      const placed = await call(api.url, account, 'POST', '/v1/orders', { clientOrderId: 'w', symbol: 'MSFT', side: 'buy', type: 'limit', qty: 4, limitPriceCents: await marketableBuy('MSFT') });
      expect(placed !== 'connection lost' && placed.status).toBe(201);
      await exited(crashing);
      const restarted = await startWorker();
      try {
        await converged(api.url, account, (placed as Answer).json.id!, 'filled', 10_000_000);
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
      const deadline = Date.now() + 15_000;
      while (((await call(api.url, account, 'GET', `/v1/orders/${orderId}`)) as Answer).json.status !== 'submitted') {
        if (Date.now() > deadline) throw new Error('the order was never submitted');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
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
      await converged(api.url, account, orderId, 'canceled', 10_000_000);
    } finally {
      for (const process of started.reverse()) await process.stop();
    }
  }, 90_000);
});
