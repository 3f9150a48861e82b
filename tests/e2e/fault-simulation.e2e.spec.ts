import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeOrderSnapshot } from '../../application/exchange/exchange.ts';
import { accountDecider, accountStreamId } from '../../domain/account/account.ts';
import { isTerminal, type OrderStatus } from '../../domain/order/order.ts';
import { seededRandom } from '../../domain/shared/seeded-random.ts';
import { TOKENS } from '../../infrastructure/composition/tokens.ts';
import type { CommandHandler } from '../../application/shared/command-handler.ts';
import { exchangeAdmin } from '../support/exchange-admin.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres-test-database.ts';
import { runReplay } from '../support/replay-cli.ts';
import { freePort, startTradingCore, type StartedProcess } from '../support/processes.ts';
import { bearer, startTradingApp, type TradingApp } from '../support/trading-app.ts';

const SEED = Number(process.env.FAULT_SEED ?? 20_261_123);
const ORDERS = Number(process.env.FAULT_ORDERS ?? 2_000);
const ACCOUNTS = 20;
const SYMBOLS = ['AAPL', 'MSFT', 'TSLA', 'NVDA', 'SPY', 'META', 'AMZN', 'GOOGL'];
const FAULTS = { errorRate: 0.05, timeoutRate: 0.05, timeoutMs: 1_500, dropRate: 0.02, duplicateRate: 0.05, reorderRate: 0.05 };
const OUR_STATUS: Record<string, readonly OrderStatus[]> = {
  filled: ['filled'],
  canceled: ['canceled'],
  expired: ['expired'],
  accepted: ['submitted'],
  partially_filled: ['partially_filled'],
};

/**
 * Deterministic fault simulation (issue 4): a seeded run of 2,000 orders against an exchange
 * that errs, times out, drops its feed, and duplicates and reorders executions. When the faults
 * stop, every order reaches the exchange's truth within 30 s and every invariant holds.
 * A failing run names its seed: FAULT_SEED=<seed> reproduces the same orders and faults.
 */
describe(`deterministic fault simulation (seed ${SEED})`, () => {
  let database: TestDatabase;
  let exchange: StartedProcess;
  let exchangeUrl: string;
  const admin = exchangeAdmin(() => exchangeUrl);
  let trading: TradingApp;

  beforeAll(async () => {
    database = await createTestDatabase('faults');
    const port = await freePort();
    exchangeUrl = `http://127.0.0.1:${port}`;
    exchange = await startTradingCore(
      ['exchange-sim'],
      { EXCHANGE_PORT: String(port), EXCHANGE_SEED: String(SEED), EXCHANGE_TICKS_PER_SECOND: '500', UNIVERSE_SIZE: '50', LOG_LEVEL: 'error', EXCHANGE_FAULTS: JSON.stringify(FAULTS), ...admin.environment },
      async () => (await fetch(`${exchangeUrl}/healthz`)).ok,
    );
    trading = await startTradingApp(
      { EVENT_STORE: 'postgres', DATABASE_URL: database.appUrl, EXCHANGE_URL: exchangeUrl, EXCHANGE_TIMEOUT_MS: '400', RECONCILE_EVERY_MS: '250', RECONCILE_AFTER_MS: '800' },
      { worker: true },
    );
  }, 90_000);
  afterAll(async () => {
    await trading?.close();
    await exchange?.stop();
    await database?.drop();
  });

  it(`${ORDERS} orders under faults all converge to the exchange's truth with every invariant holding`, async () => {
    const random = seededRandom(SEED);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const accounts = Array.from({ length: ACCOUNTS }, () => randomUUID());
    for (const account of accounts) {
      const funded = await trading.app.inject({ method: 'POST', url: '/v1/account/deposits', headers: bearer(account), payload: { amountCents: 100_000_000, idempotencyKey: 'fund' } });
      expect(funded.statusCode).toBe(201);
    }
    const asks = Object.fromEntries(
      await Promise.all(SYMBOLS.map(async (symbol) => [symbol, ((await (await fetch(`${exchangeUrl}/v1/quotes/${symbol}`)).json()) as { askCents: number }).askCents] as const)),
    );

    const requests = Array.from({ length: ORDERS }, (_, i) => {
      const account = pick(accounts);
      const symbol = pick(SYMBOLS);
      const roll = random();
      const qty = 1 + Math.floor(random() * 40);
      const body =
        roll < 0.35 ? { side: 'buy', type: 'market', qty }
        : roll < 0.6 ? { side: 'buy', type: 'limit', qty, limitPriceCents: Math.round(asks[symbol]! * 1.03) }
        : roll < 0.8 ? { side: 'buy', type: 'limit', qty, limitPriceCents: Math.round(asks[symbol]! * 0.5), timeInForce: 'gtc' }
        : roll < 0.9 ? { side: 'buy', type: 'limit', qty, limitPriceCents: Math.round(asks[symbol]! * 1.01), timeInForce: random() < 0.5 ? 'ioc' : 'fok' }
        : { side: 'sell', type: 'market', qty: 1 + Math.floor(random() * 5) };
      return { account, payload: { clientOrderId: `o-${i}`, symbol, ...body } };
    });

    const placed: Array<{ account: string; id: string; resting: boolean }> = [];
    const outcomes: Record<number, number> = {};
    for (let start = 0; start < requests.length; start += 25) {
      const answers = await Promise.all(requests.slice(start, start + 25).map((request) => trading.app.inject({ method: 'POST', url: '/v1/orders', headers: bearer(request.account), payload: request.payload })));
      answers.forEach((answer, i) => {
        outcomes[answer.statusCode] = (outcomes[answer.statusCode] ?? 0) + 1;
        const request = requests[start + i]!;
        if (answer.statusCode === 201) placed.push({ account: request.account, id: answer.json().id, resting: request.payload.timeInForce === 'gtc' });
      });
    }
    // Only the contract's answers: created, refused for funds or shares, or exchange down.
    expect(Object.keys(outcomes).map(Number).every((status) => [201, 422, 503].includes(status))).toBe(true);
    expect(placed.length).toBeGreaterThan(ORDERS / 2);

    // Cancel every other resting order while the faults still run.
    const cancels = placed.filter((order) => order.resting).filter((_, i) => i % 2 === 0);
    await Promise.all(cancels.map((order) => trading.app.inject({ method: 'DELETE', url: `/v1/orders/${order.id}`, headers: bearer(order.account) })));

    expect((await admin.post('/admin/faults', { errorRate: 0, timeoutRate: 0, dropRate: 0, duplicateRate: 0, reorderRate: 0 })).status).toBe(200);
    const faultsStopped = Date.now();

    const commands = trading.composition.container.resolve<CommandHandler>(TOKENS.CommandHandler);
    let problems: string[] = [];
    while (Date.now() - faultsStopped < 30_000) {
      problems = [];
      const head = (await trading.store.headPosition()).toString();
      // The checker reads everything at once, so it sees convergence when it happens, not a
      // sequential sweep later.
      const byAccount = new Map<string, Array<Record<string, unknown>>>(
        await Promise.all(
          accounts.map(async (account) => {
            const orders: Array<Record<string, unknown>> = [];
            for (let cursor: string | null = null, first = true; first || cursor; first = false) {
              const page: { statusCode: number; json(): { orders: Array<Record<string, unknown>>; nextCursor: string | null } } = await trading.app.inject({
                method: 'GET',
                url: `/v1/orders?status=all&limit=500${cursor ? `&cursor=${cursor}` : ''}`,
                headers: { ...bearer(account), 'x-min-position': head },
              });
              if (page.statusCode !== 200) {
                problems.push(`orders of ${account}: ${page.statusCode}`);
                break;
              }
              orders.push(...page.json().orders);
              cursor = page.json().nextCursor;
            }
            return [account, orders] as const;
          }),
        ),
      );
      const truths = new Map<string, Response>();
      const allOrders = [...byAccount.values()].flat();
      for (let i = 0; i < allOrders.length; i += 64) {
        await Promise.all(allOrders.slice(i, i + 64).map(async (order) => truths.set(order.id as string, await fetch(`${exchangeUrl}/v1/orders?clientOrderId=${order.id}`))));
      }
      for (const [account, orders] of byAccount) {
        let cashCents = 100_000_000;
        let expectedReserved = 0;
        const shares: Record<string, number> = {};
        const ledger = await commands.load(accountDecider, accountStreamId(account));
        for (const order of orders) {
          const status = order.status as OrderStatus;
          const answer = truths.get(order.id as string)!;
          if (!answer.ok) {
            // Refused here, or canceled before it was ever routed: the exchange rightly never saw it.
            if (status !== 'rejected' && status !== 'canceled') problems.push(`${order.clientOrderId}: ${status} here, unknown at the exchange`);
            if (ledger.state.holds[order.id as string]) problems.push(`${order.clientOrderId}: never routed but still holds`);
            continue;
          }
          const truth = (await answer.json()) as ExchangeOrderSnapshot;
          for (const execution of truth.executions) {
            const sign = execution.side === 'buy' ? 1 : -1;
            cashCents -= sign * execution.qty * execution.priceCents;
            shares[execution.symbol] = (shares[execution.symbol] ?? 0) + sign * execution.qty;
          }
          if (!(OUR_STATUS[truth.status] ?? []).includes(status) || order.filledQty !== truth.filledQty) {
            problems.push(`${order.clientOrderId}: ${status}/${String(order.filledQty)} here, ${truth.status}/${truth.filledQty} at the exchange`);
          }
          const hold = ledger.state.holds[order.id as string];
          if (isTerminal(status) && hold) problems.push(`${order.clientOrderId}: ended but still holds`);
          if (hold?.kind === 'cash') expectedReserved += hold.amountCents;
        }
        const { cashCents: cash, reservedCents, positions } = ledger.state;
        if (cash !== cashCents) problems.push(`account ${account}: cash ${cash}, executions imply ${cashCents}`);
        if (reservedCents !== expectedReserved || reservedCents > cash || cash < 0) problems.push(`account ${account}: reserved ${reservedCents} of cash ${cash}, holds ${expectedReserved}`);
        for (const [symbol, qty] of Object.entries(shares)) {
          if ((positions[symbol]?.qty ?? 0) !== qty) problems.push(`account ${account}: ${positions[symbol]?.qty ?? 0} ${symbol}, executions imply ${qty}`);
        }
      }
      if (problems.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    expect(problems.slice(0, 20), `seed ${SEED}: reproduce with FAULT_SEED=${SEED}`).toEqual([]);
    console.log(`fault simulation seed ${SEED}: ${placed.length} orders placed (${JSON.stringify(outcomes)}), converged ${Date.now() - faultsStopped} ms after the faults stopped`);
  }, 240_000);

  it('leaves read models equal to a replay from zero (`replay verify`) and an intact hash chain (`replay chain-verify`)', async () => {
    const verified = await runReplay(database, 'verify');
    expect(verified.code, `${verified.stdout}\n${verified.stderr}`).toBe(0);
    const chain = await runReplay(database, 'chain-verify');
    expect(chain.code, chain.stdout).toBe(0);
    expect(chain.stdout).toMatch(/chain intact: \d+ events checked/);
  }, 120_000);
});
