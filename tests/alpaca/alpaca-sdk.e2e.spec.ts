import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { centsToDecimal } from '../../infrastructure/http/alpaca/alpaca-decimal.ts';
import { LocalStack } from '../../scripts/bench/local-stack.ts';
import { alpacaClient } from '../support/alpaca-client.ts';
import { exchangeAdmin, type ExchangeAdmin } from '../../gateways/exchange/exchange-admin-client.ts';
import { freePort, startTradingCore, type StartedProcess } from '../support/processes.ts';

/** A symbol nothing else trades, held at a fixed price on the simulator: fills happen at known prices. */
const SYMBOL = 'SPY';
const PRICE_CENTS = 50_000;

interface Target {
  readonly apiUrl: string;
  readonly streamUrl: string;
  /** The simulator's admin routes (a pin holds the scenario's symbol at a known price). */
  readonly exchange: ExchangeAdmin;
  /** A fresh funded account: a bearer token for /v1 and an API key pair for the Alpaca client. */
  newAccount(depositCents: number): Promise<{ accountId: string; token: string; keyId: string; secret: string }>;
  stop(): Promise<void>;
}

const json = async (response: Response) => {
  const text = await response.text();
  if (!response.ok) throw new Error(`${response.status}: ${text}`);
  return text === '' ? undefined : JSON.parse(text);
};

async function keysAndFunds(apiUrl: string, token: string, adminToken: string, depositCents: number) {
  const key = await json(await fetch(`${apiUrl}/v1/account/api-keys`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ label: 'sdk' }) }));
  const deposit = await fetch(`${apiUrl}/v1/account/deposits`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ amountCents: depositCents, idempotencyKey: 'fund' }) });
  const position = deposit.headers.get('x-position')!;
  await json(deposit);
  // A fan-out knows a key once the read models have it: wait for them, as a client of several processes would.
  await json(await fetch(`${apiUrl}/v1/account`, { headers: { authorization: `Bearer ${token}`, 'x-min-position': position } }));
  return { keyId: key.keyId as string, secret: key.secret as string };
}

/** `npm start`'s embedded mode, as a user starts it; accounts come from the paper route. */
async function embedded(): Promise<Target> {
  const [apiPort, streamPort, exchangePort] = [await freePort(), await freePort(), await freePort()];
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const exchange = exchangeAdmin(`http://127.0.0.1:${exchangePort}`);
  const process: StartedProcess = await startTradingCore(
    ['embedded'],
    { API_PORT: String(apiPort), STREAM_PORT: String(streamPort), EXCHANGE_PORT: String(exchangePort), LOG_LEVEL: 'warn', UNIVERSE_SIZE: '50', ...exchange.environment },
    async () => (await fetch(`${apiUrl}/readyz`)).ok,
  );
  return {
    apiUrl,
    streamUrl: `ws://127.0.0.1:${streamPort}`,
    exchange,
    async newAccount(depositCents) {
      const paper = await json(await fetch(`${apiUrl}/v1/paper/accounts`, { method: 'POST' }));
      return { accountId: paper.accountId, token: paper.token, ...(await keysAndFunds(apiUrl, paper.token, paper.token, depositCents)) };
    },
    stop: async () => void (await process.stop()),
  };
}

/** The local distributed mode: every component its own process on PostgreSQL, Redis and Kafka. */
async function distributed(): Promise<Target> {
  const stack = await LocalStack.start({ label: 'alpaca', exchange: { ticksPerSecond: 200, universeSize: 50 }, ingestor: true, trading: true, fanouts: 1, candles: true });
  return {
    apiUrl: stack.apiUrl,
    streamUrl: `ws://127.0.0.1:${stack.fanouts[0]!.streamPort}`,
    exchange: exchangeAdmin(stack.exchangeUrl, stack.exchangeAdminToken),
    async newAccount(depositCents) {
      const accountId = randomUUID();
      const token = stack.token(accountId);
      return { accountId, token, ...(await keysAndFunds(stack.apiUrl, token, stack.token(accountId, 'admin'), depositCents)) };
    },
    stop: () => stack.stop(),
  };
}

async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.each([
  ['embedded mode', embedded],
  ['local distributed mode', distributed],
])('the official Alpaca client against the %s', (_mode, start) => {
  let target: Target;

  beforeAll(async () => {
    target = await start();
    const pinned = await target.exchange.post('/admin/pins', { symbol: SYMBOL, priceCents: PRICE_CENTS });
    expect(pinned.status).toBe(200);
  }, 120_000);
  afterAll(async () => {
    await target?.stop();
  });

  /** The scenario both faces run: buy at market, buy with a marketable limit, rest a limit and cancel it, close part of the position. */
  it('trades the scenario through the SDK, with its fill on trade_updates and quotes on the stock stream, and the same scenario through /v1 leaves the same ledger to the cent', async () => {
    const viaAlpaca = await target.newAccount(10_000_000);
    const client = alpacaClient({ apiUrl: target.apiUrl, streamUrl: target.streamUrl, keyId: viaAlpaca.keyId, secret: viaAlpaca.secret });
    const { alpaca } = client;

    // The streams first: this account's trade updates, and quotes of the symbol it trades.
    const trades = client.tradeStream();
    const updates: Array<{ event: string; price?: string; qty?: string; positionQty?: string; order: { id?: string; clientOrderId?: string } }> = [];
    trades.onTradeUpdate((update) => updates.push(update as unknown as (typeof updates)[number]));
    const listening = new Promise<string[]>((resolve) => trades.on('subscription', resolve));
    trades.subscribeTradeUpdates();
    trades.connect();
    expect(await listening).toEqual(['trade_updates']);
    const stocks = client.stockStream('iex');
    const quotes: Array<{ symbol: string; askPrice: number; bidPrice: number }> = [];
    stocks.onConnect(() => stocks.subscribeForQuotes([SYMBOL, 'AAPL']));
    stocks.onQuote((quote) => quotes.push(quote as unknown as (typeof quotes)[number]));
    stocks.connect();

    const account = await alpaca.trading.account.getAccount();
    expect(account).toMatchObject({ id: viaAlpaca.accountId, cash: '100000', buyingPower: '100000', status: 'ACTIVE' });
    const assets = await alpaca.trading.assets.getV2Assets({});
    expect(assets.map((asset) => asset.symbol)).toContain(SYMBOL);

    const market = await alpaca.trading.orders.market({ symbol: SYMBOL, qty: 10, side: 'buy', clientOrderId: 'sdk-market' });
    expect(market).toMatchObject({ symbol: SYMBOL, qty: '10', side: 'buy', type: 'market', clientOrderId: 'sdk-market' });
    const marketable = await alpaca.trading.orders.limit({ symbol: SYMBOL, qty: 5, side: 'buy', limitPrice: '600', timeInForce: 'gtc', clientOrderId: 'sdk-limit-fills' });
    const resting = await alpaca.trading.orders.limit({ symbol: SYMBOL, qty: 3, side: 'buy', limitPrice: '1.5', timeInForce: 'gtc', clientOrderId: 'sdk-limit-rests' });
    expect(resting).toMatchObject({ limitPrice: '1.5', timeInForce: 'gtc' });

    const open = await eventually(() => alpaca.trading.orders.getAllOrders({ status: 'all' }), (orders) => orders.length === 3, 'three orders listed');
    expect(open.map((order) => order.clientOrderId).sort()).toEqual(['sdk-limit-fills', 'sdk-limit-rests', 'sdk-market']);
    const found = await alpaca.trading.orders.getOrderByClientOrderId({ clientOrderId: 'sdk-limit-rests' });
    expect(found.id).toBe(resting.id);
    await eventually(() => alpaca.trading.orders.getOrderByOrderID({ orderId: resting.id! }), (order) => order.status === 'new', 'the resting order accepted by the exchange');
    await alpaca.trading.orders.deleteOrderByOrderID({ orderId: resting.id! });
    await eventually(() => alpaca.trading.orders.getOrderByOrderID({ orderId: resting.id! }), (order) => order.status === 'canceled', 'the resting order canceled');

    for (const id of [market.id!, marketable.id!]) await eventually(() => alpaca.trading.orders.getOrderByOrderID({ orderId: id }), (order) => order.status === 'filled', `order ${id} filled`);
    const [position] = await eventually(() => alpaca.trading.positions.getAllOpenPositions(), (positions) => positions.length === 1 && positions[0]!.qty === '15', 'a position of 15 shares');
    expect(position).toMatchObject({ symbol: SYMBOL, qty: '15', side: 'long' });

    // The market buy's fill came on trade_updates, at the pinned ask, with the position it left.
    const fills = await eventually(async () => updates.filter((update) => update.order.clientOrderId === 'sdk-market' && (update.event === 'fill' || update.event === 'partial_fill')), (found) => found.some((update) => update.event === 'fill'), 'a fill on trade_updates');
    expect(fills.reduce((sum, update) => sum + Number(update.qty), 0)).toBe(10);
    expect(new Set(fills.map((update) => update.price))).toEqual(new Set([centsToDecimal(PRICE_CENTS + Math.max(1, Math.round(PRICE_CENTS * 0.00025)))]));
    expect(updates.filter((update) => update.order.clientOrderId === 'sdk-market').map((update) => update.event)[0]).toBe('pending_new');
    // Quotes of both symbols arrived on the stock stream (MessagePack), bid below ask.
    await eventually(async () => new Set(quotes.map((quote) => quote.symbol)), (symbols) => symbols.has(SYMBOL) && symbols.has('AAPL'), 'quotes of both symbols');
    expect(quotes.every((quote) => quote.askPrice > quote.bidPrice)).toBe(true);
    trades.disconnect();
    stocks.disconnect();

    const closing = await alpaca.trading.positions.deleteOpenPosition({ symbolOrAssetId: SYMBOL, qty: 4 });
    expect(closing).toMatchObject({ symbol: SYMBOL, side: 'sell', qty: '4', type: 'market' });
    await eventually(() => alpaca.trading.orders.getOrderByOrderID({ orderId: closing.id! }), (order) => order.status === 'filled', 'the closing sell filled');

    // The same scenario through our own contract, on another account.
    const viaOurs = await target.newAccount(10_000_000);
    const headers = { authorization: `Bearer ${viaOurs.token}`, 'content-type': 'application/json' };
    const place = (body: Record<string, unknown>) => fetch(`${target.apiUrl}/v1/orders`, { method: 'POST', headers, body: JSON.stringify(body) }).then(json);
    const ours = {
      market: await place({ clientOrderId: 'v1-market', symbol: SYMBOL, side: 'buy', type: 'market', qty: 10 }),
      marketable: await place({ clientOrderId: 'v1-limit-fills', symbol: SYMBOL, side: 'buy', type: 'limit', qty: 5, limitPriceCents: 60_000, timeInForce: 'gtc' }),
      resting: await place({ clientOrderId: 'v1-limit-rests', symbol: SYMBOL, side: 'buy', type: 'limit', qty: 3, limitPriceCents: 150, timeInForce: 'gtc' }),
    };
    // Read without X-Min-Position: the read models may not have the order yet, which is a status like any other here.
    const order = (id: string) => fetch(`${target.apiUrl}/v1/orders/${id}`, { headers }).then((response) => (response.status === 404 ? { status: 'not projected yet' } : json(response)));
    await eventually(() => order(ours.resting.id), (found) => found.status === 'submitted', 'our resting order accepted');
    await json(await fetch(`${target.apiUrl}/v1/orders/${ours.resting.id}`, { method: 'DELETE', headers: { authorization: headers.authorization } }));
    for (const id of [ours.market.id, ours.marketable.id]) await eventually(() => order(id), (found) => found.status === 'filled', `our order ${id} filled`);
    await eventually(() => order(ours.resting.id), (found) => found.status === 'canceled', 'our resting order canceled');
    const sell = await place({ clientOrderId: 'v1-close', symbol: SYMBOL, side: 'sell', type: 'market', qty: 4 });
    await eventually(() => order(sell.id), (found) => found.status === 'filled', 'our closing sell filled');

    // One event store, two faces: both accounts hold the same cash, reservations and position, to the cent.
    const ledger = async (token: string) => {
      const auth = { authorization: `Bearer ${token}` };
      const [account, positions] = await Promise.all([fetch(`${target.apiUrl}/v1/account`, { headers: auth }).then(json), fetch(`${target.apiUrl}/v1/positions`, { headers: auth }).then(json)]);
      return { cashCents: account.cashCents, reservedCents: account.reservedCents, positions: positions.positions.map(({ symbol, qty, reservedQty, avgCostCents }: Record<string, unknown>) => ({ symbol, qty, reservedQty, avgCostCents })) };
    };
    const [theirs, mine] = [await ledger(viaAlpaca.token), await ledger(viaOurs.token)];
    expect(theirs).toEqual(mine);
    expect(theirs.positions).toEqual([{ symbol: SYMBOL, qty: 11, reservedQty: 0, avgCostCents: expect.any(Number) }]);
    expect(theirs.reservedCents).toBe(0);
    // And the Alpaca face tells the same ledger in its own words.
    expect(await alpaca.trading.account.getAccount()).toMatchObject({ cash: centsToDecimal(theirs.cashCents) });
  }, 120_000);
});
