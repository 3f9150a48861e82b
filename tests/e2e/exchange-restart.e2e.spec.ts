import { randomUUID } from 'node:crypto';
import type { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ExchangeOrderSnapshot } from '../../application/exchange/exchange.ts';
import type { CommandHandler } from '../../application/shared/command-handler.ts';
import { accountDecider, accountStreamId } from '../../domain/account/account.ts';
import { isTerminal, orderDecider, orderStreamId, type ExistingOrder } from '../../domain/order/order.ts';
import { seededRandom } from '../../domain/shared/seeded-random.ts';
import { TOKENS } from '../../infrastructure/composition/tokens.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres-test-database.ts';
import { startSimulator, type SimulatorProcess } from '../support/exchange-simulator.ts';
import { bearer, startTradingApp, type TradingApp } from '../support/trading-app.ts';

const SYMBOLS = ['AAPL', 'MSFT', 'TSLA', 'NVDA'];
const DEPOSIT = 100_000_000;

interface SeenExecution {
  readonly clientOrderId: string;
  readonly side: 'buy' | 'sell';
  readonly symbol: string;
  readonly qty: number;
  readonly priceCents: number;
}

/**
 * What the exchange executed, whatever we made of it: every session's execution feed, read from
 * its start by a client of the test's own, kept across the exchange's restarts.
 */
class ExecutionObserver {
  readonly executions = new Map<string, SeenExecution>();
  readonly sessions = new Set<string>();
  private socket: WebSocket | undefined;
  private session = '';
  private stopped = false;

  constructor(private readonly url: string) {}

  start(): void {
    if (this.stopped) return;
    const socket = new WebSocket(`${this.url}?since=0`);
    this.socket = socket;
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { type: string; session?: string; executionId?: string } & SeenExecution;
      if (message.type === 'hello') {
        this.session = message.session!;
        this.sessions.add(this.session);
      } else if (message.type === 'execution') {
        this.executions.set(`${this.session}/${message.executionId}`, { clientOrderId: message.clientOrderId, side: message.side, symbol: message.symbol, qty: message.qty, priceCents: message.priceCents });
      }
    });
    socket.on('error', () => socket.terminate());
    socket.on('close', () => setTimeout(() => this.start(), 50));
  }

  stop(): void {
    this.stopped = true;
    this.socket?.terminate();
  }
}

/**
 * The exchange restarts while orders rest, fill and are canceled (issue 13, item 1): stopped
 * cleanly and killed with SIGKILL, twice each, while a seeded workload keeps trading through the
 * API. A restarted exchange is a new session that knows none of the old orders and gives out
 * ids again. At the end every order is ended or genuinely resting at the exchange, every hold
 * belongs to an open order, each account's cash and positions equal what the exchange executed,
 * and no order was canceled that its own account did not ask to cancel.
 */
describe('the exchange restarts mid-trading', () => {
  let database: TestDatabase;
  let exchange: SimulatorProcess;
  let exchangeUrl: string;
  let trading: TradingApp;
  let observer: ExecutionObserver;

  beforeAll(async () => {
    database = await createTestDatabase('restart');
    exchange = await startSimulator({ EXCHANGE_TICKS_PER_SECOND: '300' });
    exchangeUrl = exchange.url;
    observer = new ExecutionObserver(`ws://127.0.0.1:${exchange.port}/v1/executions`);
    observer.start();
    trading = await startTradingApp(
      { EVENT_STORE: 'postgres', DATABASE_URL: database.appUrl, EXCHANGE_URL: exchangeUrl, EXCHANGE_TIMEOUT_MS: '500', RECONCILE_EVERY_MS: '300', RECONCILE_AFTER_MS: '1000' },
      { worker: true },
    );
  }, 60_000);
  afterAll(async () => {
    observer?.stop();
    await trading?.close();
    await exchange?.stop();
    await database?.drop();
  });

  it('leaves every order ended or resting, every hold on an open order, and the ledger equal to the exchange’s executions', async () => {
    const random = seededRandom(1_303);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const accounts = Array.from({ length: 4 }, () => randomUUID());
    for (const account of accounts) {
      const funded = await trading.app.inject({ method: 'POST', url: '/v1/account/deposits', headers: bearer(account), payload: { amountCents: DEPOSIT, idempotencyKey: 'fund' } });
      expect(funded.statusCode).toBe(201);
    }
    const asks = Object.fromEntries(await Promise.all(SYMBOLS.map(async (symbol) => [symbol, ((await (await fetch(`${exchangeUrl}/v1/quotes/${symbol}`)).json()) as { askCents: number }).askCents] as const)));

    const acknowledged = new Map<string, { account: string; timeInForce: string }>();
    const resting = new Map<string, string[]>(accounts.map((account) => [account, []]));
    const cancelsAsked = new Set<string>();
    let sent = 0;
    let trading_ = true;
    const workload = (async () => {
      for (let n = 0; trading_; n += 1) {
        const account = pick(accounts);
        const symbol = pick(SYMBOLS);
        const roll = random();
        const qty = 1 + Math.floor(random() * 4);
        if (roll < 0.15 && resting.get(account)!.length > 0) {
          const orderId = resting.get(account)!.splice(Math.floor(random() * resting.get(account)!.length), 1)[0]!;
          cancelsAsked.add(orderId);
          await trading.app.inject({ method: 'DELETE', url: `/v1/orders/${orderId}`, headers: bearer(account) });
        } else {
          const body =
            roll < 0.4 ? { side: 'buy', type: 'market', qty }
            : roll < 0.6 ? { side: 'buy', type: 'limit', qty, limitPriceCents: Math.round(asks[symbol]! * 1.02) }
            : roll < 0.8 ? { side: 'buy', type: 'limit', qty, limitPriceCents: Math.round(asks[symbol]! * 0.5), timeInForce: 'gtc' }
            : roll < 0.9 ? { side: 'sell', type: 'market', qty: 1 }
            : { side: 'sell', type: 'limit', qty: 1, limitPriceCents: Math.round(asks[symbol]! * 2), timeInForce: 'gtc' };
          const answer = await trading.app.inject({ method: 'POST', url: '/v1/orders', headers: bearer(account), payload: { clientOrderId: `r-${n}`, symbol, ...body } });
          sent += 1;
          if (answer.statusCode === 201) {
            acknowledged.set(answer.json().id, { account, timeInForce: (body as { timeInForce?: string }).timeInForce ?? 'day' });
            if ((body as { timeInForce?: string }).timeInForce === 'gtc') resting.get(account)!.push(answer.json().id);
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
    })();

    const sessionsSeen = async () => (await trading.composition.container.resolve<Registry>(TOKENS.Metrics).getSingleMetric('worker_exchange_sessions_total')!.get()).values[0]?.value ?? 0;
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const restarts: Array<NodeJS.Signals> = ['SIGTERM', 'SIGKILL', 'SIGTERM', 'SIGKILL'];
    await pause(2_500);
    for (const signal of restarts) {
      const seen = await sessionsSeen();
      await exchange.restart(signal, 800);
      // The worker follows the new session's feed before the next restart (a real exchange does not restart every few seconds).
      const deadline = Date.now() + 20_000;
      while ((await sessionsSeen()) <= seen && Date.now() < deadline) await pause(100);
      await pause(2_500);
    }
    trading_ = false;
    await workload;
    expect(observer.sessions.size).toBe(restarts.length + 1);

    // Convergence: the checks below hold within 60 s, and stay holding.
    const commands = trading.composition.container.resolve<CommandHandler>(TOKENS.CommandHandler);
    const tradingStopped = Date.now();
    let problems: string[] = [];
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      problems = [];
      const orders = new Map<string, ExistingOrder>();
      for (const orderId of acknowledged.keys()) {
        const state = (await commands.load(orderDecider, orderStreamId(orderId))).state;
        if (state.status === 'none') problems.push(`${orderId}: acknowledged, but not in the log`);
        else orders.set(orderId, state);
      }
      for (const [orderId, order] of orders) {
        if (isTerminal(order.status)) continue;
        const answer = await fetch(`${exchangeUrl}/v1/orders?clientOrderId=${orderId}`);
        const truth = answer.ok ? ((await answer.json()) as ExchangeOrderSnapshot) : undefined;
        const restingThere = truth && (truth.status === 'accepted' || truth.status === 'partially_filled') && truth.externalOrderId === order.externalOrderId;
        if (!restingThere || order.status === 'pending' || order.status === 'pending_cancel') problems.push(`${order.clientOrderId}: ${order.status} here, ${truth?.status ?? 'unknown'} at the exchange`);
        if (truth && truth.status === 'canceled' && !cancelsAsked.has(orderId)) problems.push(`${order.clientOrderId}: canceled at the exchange, but its account never asked`);
      }
      for (const account of accounts) {
        const ledger = (await commands.load(accountDecider, accountStreamId(account))).state;
        for (const orderId of Object.keys(ledger.holds)) {
          const order = orders.get(orderId);
          if (!order || isTerminal(order.status)) problems.push(`account ${account}: a hold for ${order?.clientOrderId ?? orderId}, ${order?.status ?? 'unknown'}`);
        }
        let cash = DEPOSIT;
        const shares: Record<string, number> = {};
        const filled = new Map<string, number>();
        for (const execution of observer.executions.values()) {
          if (acknowledged.get(execution.clientOrderId)?.account !== account) continue;
          const sign = execution.side === 'buy' ? 1 : -1;
          cash -= sign * execution.qty * execution.priceCents;
          shares[execution.symbol] = (shares[execution.symbol] ?? 0) + sign * execution.qty;
          filled.set(execution.clientOrderId, (filled.get(execution.clientOrderId) ?? 0) + execution.qty);
        }
        if (ledger.cashCents !== cash) problems.push(`account ${account}: cash ${ledger.cashCents}, the exchange's executions imply ${cash}`);
        for (const symbol of SYMBOLS) {
          if ((ledger.positions[symbol]?.qty ?? 0) !== (shares[symbol] ?? 0)) problems.push(`account ${account}: ${ledger.positions[symbol]?.qty ?? 0} ${symbol}, the exchange's executions imply ${shares[symbol] ?? 0}`);
        }
        for (const [orderId, order] of orders) {
          if (order.accountId === account && order.filledQty !== (filled.get(orderId) ?? 0)) problems.push(`${order.clientOrderId}: ${order.filledQty} filled here, ${filled.get(orderId) ?? 0} at the exchange`);
        }
        for (const [orderId, order] of orders) {
          if (order.accountId === account && order.status === 'canceled' && !cancelsAsked.has(orderId)) problems.push(`${order.clientOrderId}: canceled, but its account never asked`);
        }
      }
      if (problems.length === 0) break;
      await pause(1_000);
    }
    expect(problems.slice(0, 20)).toEqual([]);
    console.log(`exchange restarts: ${sent} orders sent, ${acknowledged.size} acknowledged, ${observer.executions.size} executions over ${observer.sessions.size} sessions; converged ${Date.now() - tradingStopped} ms after trading stopped`);
  }, 180_000);
});
