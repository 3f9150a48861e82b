import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderView } from '../../application/orders/order-view.ts';
import { ExchangeSimulator } from '../../infrastructure/exchange-sim/exchange-simulator.ts';
import { signToken } from '../../infrastructure/http/tokens.ts';
import { InProcessLatestQuotes } from '../../infrastructure/market-data/in-process-market-data.ts';
import { Ingestor } from '../../infrastructure/market-data/ingestor.ts';
import { KafkaTickLog, KafkaTickStream } from '../../infrastructure/market-data/kafka-tick-log.ts';
import { RedisOrderUpdates } from '../../infrastructure/market-data/redis-order-updates.ts';
import { ReferenceMarket, referenceUniverse } from '../../infrastructure/market/reference-universe.ts';
import { createMetricsRegistry } from '../../infrastructure/observability/metrics.ts';
import { startFanout, type RunningFanout } from '../../infrastructure/processes/fanout-process.ts';
import { PriceStreamClient } from 'trading-core/sdk';
import { sequencesBySymbol, StreamTestClient, type ReceivedQuote } from '../support/stream-test-client.ts';
import { isolatedTickTopics, TEST_BROKERS } from '../support/kafka-topics.ts';

const BROKERS = TEST_BROKERS;
const topics = isolatedTickTopics('fanout');
const SECRET = 'fanout-instances-test-secret-0123456789';
const SYMBOLS = ['AAPL', 'MSFT', 'TSLA', 'NVDA', 'SPY'];
const logger = pino({ level: 'silent' });
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('two fan-out instances on the real Kafka tick log and Redis', () => {
  let exchange: ExchangeSimulator;
  let feedUrl: string;
  let tickLog: KafkaTickLog;
  let ingestor: Ingestor;
  let redis: Redis;
  const instances: Array<{ fanout: RunningFanout; updates: RedisOrderUpdates; url: string }> = [];
  const token = (accountId = randomUUID()) => signToken(SECRET, { accountId, role: 'trader', ttlSeconds: 600 });

  async function startIngestor(): Promise<Ingestor> {
    const started = new Ingestor({ feedUrl, tickLog, latest: new InProcessLatestQuotes(), logger });
    await started.start();
    return started;
  }

  beforeAll(async () => {
    exchange = new ExchangeSimulator({ seed: 11, universeSize: 20, ticksPerSecond: 1_500, logger, metrics: createMetricsRegistry('sim') });
    feedUrl = `${(await exchange.listen('127.0.0.1', 0)).replace(/^http/, 'ws')}/v1/ticks`;
    tickLog = await KafkaTickLog.connect(BROKERS, 'fanout-test-ingestor', topics);
    ingestor = await startIngestor();
    redis = new Redis('redis://127.0.0.1:6379');
    const catalog = new ReferenceMarket(referenceUniverse({ generated: 0 }));
    for (let i = 0; i < 2; i += 1) {
      const updates = new RedisOrderUpdates(redis);
      const fanout = await startFanout(
        { host: '127.0.0.1', port: 0, transport: 'uws' },
        { stream: await KafkaTickStream.connect(BROKERS, logger, topics), catalog, orderUpdates: updates, jwtSecret: SECRET, logger, metrics: createMetricsRegistry(`fanout-${i}`) },
      );
      instances.push({ fanout, updates, url: `ws://127.0.0.1:${fanout.port}/v1/stream` });
    }
  }, 90_000);

  afterAll(async () => {
    for (const { fanout, updates } of instances) {
      await fanout.stop();
      await updates.close();
    }
    await ingestor?.stop();
    await tickLog?.close();
    await exchange?.close();
    await redis?.quit();
    await topics.remove();
  });

  /** Connects, subscribes (resuming from what was seen), reads for a while, and leaves. */
  async function session(url: string, seen: Map<string, number>, readMs: number): Promise<ReceivedQuote[]> {
    const client = await StreamTestClient.connect(url, token());
    client.send({ op: 'subscribe', symbols: SYMBOLS, ...(seen.size > 0 ? { since: Object.fromEntries(seen) } : {}) });
    await pause(readMs);
    await client.close();
    const quotes = client.quotes();
    for (const { symbol, seq } of quotes) seen.set(symbol, Math.max(seen.get(symbol) ?? 0, seq));
    return quotes;
  }

  it('a client moved between instances, and through an ingestor restart, never sees a seq repeat or go back, and gets a snapshot when behind', async () => {
    const seen = new Map<string, number>();
    const all: ReceivedQuote[] = [];
    all.push(...(await session(instances[0]!.url, seen, 1_500)));
    all.push(...(await session(instances[1]!.url, seen, 1_000)));

    await ingestor.stop();
    ingestor = await startIngestor();
    all.push(...(await session(instances[0]!.url, seen, 1_500)));

    // Away for a while: the instance is ahead of what the client saw, so it answers with snapshots.
    await pause(800);
    const resumed = await session(instances[1]!.url, seen, 1_000);
    all.push(...resumed);

    for (const [symbol, sequence] of sequencesBySymbol(all)) {
      for (let i = 1; i < sequence.length; i += 1) expect(sequence[i], `${symbol} went from ${sequence[i - 1]} to ${sequence[i]}`).toBeGreaterThan(sequence[i - 1]!);
    }
    expect(all.filter((quote) => !quote.snapshot).length).toBeGreaterThan(50);
    const firstAfterAway = SYMBOLS.map((symbol) => resumed.find((quote) => quote.symbol === symbol)).filter((quote) => quote !== undefined);
    expect(firstAfterAway.length).toBeGreaterThan(0);
    expect(firstAfterAway.every((quote) => quote.snapshot)).toBe(true);
  }, 60_000);

  it('the SDK, moved between instances and through an ingestor restart, is never sent a quote it must drop', async () => {
    const client = new PriceStreamClient({ urls: instances.map((instance) => instance.url), token: () => token(), backoff: { initialMs: 50, maxMs: 500 } });
    const quotes: Array<{ symbol: string; seq: number; snapshot: boolean }> = [];
    const connectedTo: string[] = [];
    client.on('quote', (quote) => quotes.push({ symbol: quote.symbol, seq: quote.seq, snapshot: quote.snapshot }));
    client.on('connected', ({ url }) => connectedTo.push(url));
    client.subscribe(SYMBOLS);
    await client.connect();
    await pause(1_000);
    client.reconnect();
    await pause(1_000);
    await ingestor.stop();
    ingestor = await startIngestor();
    client.reconnect();
    await pause(1_500);
    await client.close();

    expect(new Set(connectedTo)).toEqual(new Set(instances.map((instance) => instance.url)));
    expect(connectedTo.length).toBeGreaterThanOrEqual(3);
    expect(quotes.filter((quote) => !quote.snapshot).length).toBeGreaterThan(50);
    // The SDK drops what is not newer; the servers, resuming from `since`, never sent any such quote.
    expect(client.dropped).toBe(0);
    for (const [, sequence] of sequencesBySymbol(quotes)) for (let i = 1; i < sequence.length; i += 1) expect(sequence[i]).toBeGreaterThan(sequence[i - 1]!);
  }, 30_000);

  it('a client that resumes ahead of an instance is sent nothing it has already seen', async () => {
    const aheadOf = new Map(SYMBOLS.map((symbol) => [symbol, Number.MAX_SAFE_INTEGER - 1]));
    const quotes = await session(instances[0]!.url, aheadOf, 500);
    expect(quotes).toEqual([]);
  });

  it('order updates reach only the sockets of that account, through Redis, and the channel is dropped when its last socket leaves', async () => {
    const accountId = randomUUID();
    const { url, updates } = instances[1]!;
    const watcher = await StreamTestClient.connect(url, token(accountId));
    const stranger = await StreamTestClient.connect(url, token());
    watcher.send({ op: 'subscribe_orders' });
    stranger.send({ op: 'subscribe_orders' });
    await pause(300);
    expect(updates.channelCount).toBe(2);

    const order = { id: randomUUID(), accountId, clientOrderId: 'c-1', symbol: 'AAPL', status: 'submitted' } as unknown as OrderView;
    await new RedisOrderUpdates(redis).publish([{ order, event: 'new', at: new Date().toISOString() }]);
    await watcher.waitFor((client) => client.received.some((message) => message.type === 'order'), 5_000, 'the order update');
    expect(watcher.received.find((message) => message.type === 'order')).toEqual({ type: 'order', order });
    expect(stranger.received.some((message) => message.type === 'order')).toBe(false);

    await watcher.close();
    await stranger.close();
    await pause(300);
    expect(updates.channelCount).toBe(0);
  });
});
