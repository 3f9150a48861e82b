import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { ExchangeOrderSnapshot } from '../../application/exchange/exchange.ts';
import { freePort } from '../support/processes.ts';
import { TEST_JWT_SECRET, tokenFor } from '../support/trading-app.ts';

/**
 * The embedded mode killed with SIGKILL mid-trading, with its data on disk (issue 13, item 1):
 * its exchange (a child process) goes with it, and the restarted mode — its exchange back from its
 * journal — leaves every acknowledged order ended or resting, and after the rest are canceled,
 * no hold and a ledger equal to what the exchange executed.
 */
describe('the embedded mode killed with kill -9 and started again on its data', () => {
  const directory = mkdtempSync(join(tmpdir(), 'embedded-restart-'));
  let running: ChildProcess | undefined;
  afterAll(() => {
    running?.kill('SIGKILL');
    rmSync(directory, { recursive: true, force: true });
  });

  it('converges: every acknowledged order in the log, ended or resting at the exchange, no hold left, cash equal to the executions', async () => {
    const [apiPort, streamPort, exchangePort] = [await freePort(), await freePort(), await freePort()];
    const api = `http://127.0.0.1:${apiPort}`;
    const exchange = `http://127.0.0.1:${exchangePort}`;
    const environment = {
      ...process.env,
      PGLITE_DATA_DIR: join(directory, 'db'),
      API_PORT: String(apiPort),
      STREAM_PORT: String(streamPort),
      EXCHANGE_PORT: String(exchangePort),
      EXCHANGE_URL: exchange,
      JWT_SECRET: TEST_JWT_SECRET,
      RECONCILE_EVERY_MS: '300',
      RECONCILE_AFTER_MS: '1000',
      EXCHANGE_TICKS_PER_SECOND: '300',
      UNIVERSE_SIZE: '50',
      LOG_LEVEL: 'warn',
    };
    const start = async (): Promise<ChildProcess> => {
      const child = spawn('bin/trading-core', ['embedded'], { env: environment, stdio: 'ignore' });
      const deadline = Date.now() + 60_000;
      while (!(await fetch(`${api}/healthz`).then((response) => response.ok, () => false))) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error('the embedded mode did not start');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      return child;
    };
    const account = randomUUID();
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${api}${path}`, { method, headers: { authorization: `Bearer ${tokenFor(account)}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
      return { status: response.status, json: (await response.json()) as Record<string, unknown> & { id: string; status: string } };
    };

    running = await start();
    expect((await call('POST', '/v1/account/deposits', { amountCents: 100_000_000, idempotencyKey: 'fund' })).status).toBe(201);
    const ask = ((await (await fetch(`${exchange}/v1/quotes/AAPL`)).json()) as { askCents: number }).askCents;
    const acknowledged: string[] = [];
    let killed = false;
    // Four clients place orders side by side until the kill.
    const placing = Promise.all(
      [0, 1, 2, 3].map(async (lane) => {
        for (let i = lane; !killed; i += 4) {
          const body = i % 3 === 0 ? { type: 'market' } : i % 3 === 1 ? { type: 'limit', limitPriceCents: ask + 500 } : { type: 'limit', limitPriceCents: Math.round(ask / 2), timeInForce: 'gtc' };
          const answer = await call('POST', '/v1/orders', { clientOrderId: `k-${i}`, symbol: 'AAPL', side: 'buy', qty: 1 + (i % 4), ...body }).catch(() => undefined);
          if (answer?.status === 201) acknowledged.push(answer.json.id);
        }
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    killed = true;
    running.kill('SIGKILL');
    await once(running, 'exit');
    await placing;
    expect(acknowledged.length).toBeGreaterThan(3);
    // Its exchange, a child process, went with it: nothing answers on its port.
    const deadline = Date.now() + 10_000;
    while (await fetch(`${exchange}/healthz`).then(() => true, () => false)) {
      if (Date.now() > deadline) throw new Error('the exchange outlived the embedded mode that started it');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    running = await start();
    const truth = async (orderId: string) => {
      const answer = await fetch(`${exchange}/v1/orders?clientOrderId=${orderId}`);
      return answer.ok ? ((await answer.json()) as ExchangeOrderSnapshot) : undefined;
    };
    let problems: string[] = [];
    for (const until = Date.now() + 60_000; Date.now() < until; await new Promise((resolve) => setTimeout(resolve, 500))) {
      problems = [];
      for (const orderId of acknowledged) {
        const order = await call('GET', `/v1/orders/${orderId}`);
        if (order.status !== 200) problems.push(`${orderId}: acknowledged, answered ${order.status}`);
        else if (!['filled', 'canceled', 'rejected', 'failed', 'expired'].includes(order.json.status)) {
          const there = await truth(orderId);
          if (!(order.json.status === 'submitted' && there?.status === 'accepted')) problems.push(`${orderId}: ${order.json.status} here, ${there?.status ?? 'unknown'} at the exchange`);
        }
      }
      if (problems.length === 0) break;
    }
    expect(problems.slice(0, 10)).toEqual([]);

    // The orders still resting are canceled; then nothing is held and cash is what the exchange executed.
    const open = (await call('GET', '/v1/orders?status=open&limit=500')).json.orders as Array<{ id: string }>;
    for (const order of open) await call('DELETE', `/v1/orders/${order.id}`);
    let executed = 0;
    for (const orderId of acknowledged) for (const execution of (await truth(orderId))?.executions ?? []) executed += execution.qty * execution.priceCents;
    let view: Record<string, unknown> = {};
    for (const until = Date.now() + 30_000; Date.now() < until; await new Promise((resolve) => setTimeout(resolve, 300))) {
      view = (await call('GET', '/v1/account')).json;
      if (view.reservedCents === 0 && view.cashCents === 100_000_000 - executed) break;
    }
    expect(view).toMatchObject({ reservedCents: 0, cashCents: 100_000_000 - executed });
  }, 240_000);
});
