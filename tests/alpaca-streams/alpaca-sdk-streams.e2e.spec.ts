import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alpacaClient } from '../support/alpaca-client.ts';
import { isolatedTickTopics } from '../support/kafka-topics.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres-test-database.ts';
import { freePort, startTradingCore, type StartedProcess } from '../support/processes.ts';
import { bearer, startTradingApp, TEST_JWT_SECRET, type TradingApp } from '../support/trading-app.ts';

type TradeUpdate = { event: string; executionId?: string; price?: string; qty?: string; positionQty?: string; timestamp?: Date; order: { id: string; status: string; filledQty?: string } };
type StreamQuote = { symbol: string; askPrice: number; bidPrice: number; timestamp: Date };

/**
 * The official SDK (`@alpacahq/alpaca-trade-api` 4.0.2) on its streams against a running stack:
 * the exchange simulator, the ingestor and the `fanout` as processes (the fan-out reading API keys
 * from PostgreSQL), the API, projector and worker in this process.
 */
describe('the official Alpaca SDK on our streams', () => {
  let database: TestDatabase;
  let trading: TradingApp;
  const processes: StartedProcess[] = [];
  const topics = isolatedTickTopics('sdk');
  const account = randomUUID();
  let client: ReturnType<typeof alpacaClient>;

  beforeAll(async () => {
    database = await createTestDatabase('sdkstreams');
    const [exchangePort, streamPort, fanoutMetrics, ingestorMetrics] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const exchangeUrl = `http://127.0.0.1:${exchangePort}`;
    const shared = { LOG_LEVEL: 'warn', UNIVERSE_SIZE: '50', KAFKA_TOPIC_PREFIX: topics.prefix, REDIS_KEY_PREFIX: `test-sdk-${randomUUID().slice(0, 6)}:`, EXCHANGE_URL: exchangeUrl };
    processes.push(await startTradingCore(['exchange-sim'], { ...shared, EXCHANGE_PORT: String(exchangePort), EXCHANGE_TICKS_PER_SECOND: '200' }, async () => (await fetch(`${exchangeUrl}/healthz`)).ok));
    processes.push(await startTradingCore(['ingestor'], { ...shared, METRICS_PORT: String(ingestorMetrics) }, async () => (await fetch(`http://127.0.0.1:${ingestorMetrics}/readyz`)).ok));
    processes.push(
      await startTradingCore(['fanout'], { ...shared, STREAM_PORT: String(streamPort), METRICS_PORT: String(fanoutMetrics), JWT_SECRET: TEST_JWT_SECRET, DATABASE_URL: database.appUrl }, async () => (await fetch(`http://127.0.0.1:${fanoutMetrics}/readyz`)).ok),
    );
    trading = await startTradingApp({ ...shared, EVENT_STORE: 'postgres', DATABASE_URL: database.appUrl, MARKET_DATA_STORE: 'redis' }, { worker: true });
    const apiUrl = await trading.app.listen({ host: '127.0.0.1', port: 0 });

    const key = await trading.app.inject({ method: 'POST', url: '/v1/account/api-keys', headers: bearer(account), payload: { label: 'sdk' } });
    expect(key.statusCode, key.body).toBe(201);
    const deposit = await trading.app.inject({ method: 'POST', url: '/v1/account/deposits', headers: bearer(account), payload: { amountCents: 10_000_000, idempotencyKey: 'fund' } });
    expect(deposit.statusCode).toBe(201);
    // The fan-out process knows the key once the read models have it.
    await trading.projector!.waitFor(BigInt(deposit.headers['x-position'] as string));
    client = alpacaClient({ apiUrl, streamUrl: `ws://127.0.0.1:${streamPort}`, keyId: key.json().keyId, secret: key.json().secret });
  }, 120_000);
  afterAll(async () => {
    await trading?.close();
    for (const started of processes.reverse()) await started.stop();
    await topics.remove();
    await database?.drop();
  });

  it('receives pending_new, new and fill trade updates for a market order placed through our API, with the position it left', async () => {
    const stream = client.tradeStream();
    const updates: TradeUpdate[] = [];
    const errors: string[] = [];
    stream.onTradeUpdate((update) => updates.push(update as unknown as TradeUpdate));
    stream.onError((error) => errors.push(String(error)));
    const listening = new Promise<string[]>((resolve) => stream.on('subscription', resolve));
    stream.subscribeTradeUpdates();
    stream.connect();
    expect(await listening).toEqual(['trade_updates']);

    const order = await client.alpaca.trading.orders.market({ symbol: 'AAPL', qty: 2, side: 'buy' });
    expect(order.status).toBe('pending_new');
    await expect.poll(() => updates.some((update) => update.event === 'fill'), { timeout: 20_000 }).toBe(true);
    stream.disconnect();

    const ours = updates.filter((update) => update.order.id === order.id);
    expect(ours.map((update) => update.event)).toEqual(expect.arrayContaining(['pending_new', 'new', 'fill']));
    expect(ours[0]!.event).toBe('pending_new');
    const fill = ours.find((update) => update.event === 'fill')!;
    expect(fill).toMatchObject({ qty: expect.stringMatching(/^[12]$/), positionQty: '2', order: { id: order.id, status: 'filled', filledQty: '2' } });
    expect(fill.executionId).toEqual(expect.any(String));
    expect(Number(fill.price)).toBeGreaterThan(0);
    expect(fill.timestamp).toBeInstanceOf(Date);
    expect(errors).toEqual([]);

    const position = await client.alpaca.trading.positions.getOpenPosition({ symbolOrAssetId: 'AAPL' });
    expect(position.qty).toBe('2');
  }, 40_000);

  it('receives live quotes in MessagePack on the stock data stream', async () => {
    const stream = client.stockStream('iex');
    const quotes: StreamQuote[] = [];
    const errors: string[] = [];
    stream.onConnect(() => stream.subscribeForQuotes(['AAPL', 'MSFT']));
    stream.onQuote((quote) => quotes.push(quote as unknown as StreamQuote));
    stream.onError((error) => errors.push(String(error)));
    stream.connect();
    await expect.poll(() => new Set(quotes.map((quote) => quote.symbol)).size, { timeout: 15_000 }).toBe(2);
    stream.disconnect();
    for (const quote of quotes) {
      expect(quote.askPrice).toBeGreaterThan(quote.bidPrice);
      expect(quote.timestamp).toBeInstanceOf(Date);
    }
    expect(errors).toEqual([]);
  }, 30_000);
});
