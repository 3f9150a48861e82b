import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { pino } from 'pino';
import type { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tick } from '../../application/market/market-data.ts';
import { ExchangeSimulator } from '../../infrastructure/exchange-sim/exchange-simulator.ts';
import type { FanoutLimits } from '../../infrastructure/fanout/fanout-hub.ts';
import { signToken } from '../../infrastructure/http/tokens.ts';
import { InProcessLatestQuotes, InProcessOrderUpdates, InProcessTickLog } from '../../infrastructure/market-data/in-process-market-data.ts';
import { Ingestor } from '../../infrastructure/market-data/ingestor.ts';
import { ReferenceMarket, referenceUniverse } from '../../infrastructure/market/reference-universe.ts';
import { createMetricsRegistry } from '../../infrastructure/observability/metrics.ts';
import { startFanout, type RunningFanout } from '../../infrastructure/processes/fanout-process.ts';
import { sequencesBySymbol, StreamTestClient } from '../support/stream-test-client.ts';

const SECRET = 'price-socket-test-secret-0123456789abcdef';
const logger = pino({ level: 'silent' });
const universe = referenceUniverse({ seed: 42, generated: 400 });
const catalog = new ReferenceMarket(universe);
const token = (accountId = randomUUID()) => signToken(SECRET, { accountId, role: 'trader', ttlSeconds: 600 });
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function priceSocket(tickLog: InProcessTickLog, limits: Partial<FanoutLimits>, metrics: Registry = createMetricsRegistry('fanout')): Promise<{ fanout: RunningFanout; url: string; metrics: Registry }> {
  const fanout = await startFanout({ host: '127.0.0.1', port: 0, transport: 'uws', limits }, { stream: tickLog, catalog, orderUpdates: new InProcessOrderUpdates(), jwtSecret: SECRET, logger, metrics });
  return { fanout, url: `ws://127.0.0.1:${fanout.port}/v1/stream`, metrics };
}

async function gauge(metrics: Registry, name: string): Promise<number> {
  const metric = await metrics.getSingleMetric(name)!.get();
  return metric.values[0]?.value ?? 0;
}

/** Publishes a tick for each symbol every `everyMs`, with growing sequence numbers. */
function tickSource(tickLog: InProcessTickLog, symbols: readonly string[], everyMs: number): { stop(): void } {
  let seq = 0;
  const timer = setInterval(() => {
    seq += 1;
    const ts = new Date().toISOString();
    const ticks: Tick[] = symbols.map((symbol, i) => ({ symbol, seq, priceCents: 10_000 + ((seq * 7 + i) % 500), bidCents: 9_990, askCents: 10_010, volume: seq * 100, ts, openCents: 10_000 }));
    void tickLog.publish(ticks);
  }, everyMs);
  return { stop: () => clearInterval(timer) };
}

describe('the price socket under bad input', () => {
  const tickLog = new InProcessTickLog();
  let socket: Awaited<ReturnType<typeof priceSocket>>;
  let source: { stop(): void };

  beforeAll(async () => {
    socket = await priceSocket(tickLog, { authTimeoutMs: 300, messagesPerSecond: 20, maxSymbolsPerConnection: 200 });
    source = tickSource(tickLog, ['AAPL', 'MSFT'], 50);
  });
  afterAll(async () => {
    source.stop();
    await socket.fanout.stop();
  });

  it('closes with 4001 a client that does not authenticate in time, sends something else first, or brings a bad token', async () => {
    const silent = await StreamTestClient.connect(socket.url);
    const chatty = await StreamTestClient.connect(socket.url);
    chatty.send({ op: 'subscribe', symbols: ['AAPL'] });
    const forger = await StreamTestClient.connect(socket.url, signToken('another-secret-that-is-long-enough-0123', { accountId: randomUUID(), role: 'trader', ttlSeconds: 60 }));
    const expired = await StreamTestClient.connect(socket.url, signToken(SECRET, { accountId: randomUUID(), role: 'trader', ttlSeconds: -10 }));
    for (const client of [silent, chatty, forger, expired]) {
      await client.waitFor((c) => c.closed !== undefined, 3_000, 'the close');
      expect(client.closed?.code).toBe(4001);
      expect(client.quotes()).toEqual([]);
    }
  });

  it('answers garbage with typed errors and keeps serving the connection', async () => {
    const client = await StreamTestClient.connect(socket.url, token());
    client.send(Buffer.from([0xde, 0xad, 0xbe, 0xef]));
    client.send('{"op": "subscribe", "symbols": [');
    client.send({ op: 'launch_missiles' });
    client.send({ op: 'subscribe', symbols: 'AAPL' });
    client.send({ op: 'subscribe', symbols: ['AAPL', 'NOPE', 'ZZZZZZ'] });
    client.send({ op: 'auth', token: token() });
    client.send({ op: 'ping' });
    await client.waitFor((c) => c.received.some((m) => m.type === 'pong'), 3_000, 'the pong');
    const errors = client.received.filter((m) => m.type === 'error').map((m) => m.code);
    expect(errors).toEqual(['invalid_message', 'invalid_message', 'invalid_message', 'invalid_message', 'unknown_symbol', 'invalid_message']);
    await client.waitFor((c) => c.quotes().some((q) => q.symbol === 'AAPL' && !q.snapshot), 3_000, 'AAPL quotes');
    expect(client.closed).toBeUndefined();
    await client.close();
  });

  it('refuses more symbols than the limit with too_many_symbols and subscribes none of them', async () => {
    const client = await StreamTestClient.connect(socket.url, token());
    const tooMany = universe.slice(0, 201).map((entry) => entry.symbol);
    client.send({ op: 'subscribe', symbols: tooMany });
    client.send({ op: 'ping' });
    await client.waitFor((c) => c.received.some((m) => m.type === 'pong'), 3_000, 'the pong');
    expect(client.received.filter((m) => m.type === 'error').map((m) => m.code)).toEqual(['too_many_symbols']);
    expect(client.quotes()).toEqual([]);
    await client.close();
  });

  it('closes a connection that sends a message over 16 KiB with 1009, and one that floods with 4029, without harm to others', async () => {
    const bystander = await StreamTestClient.connect(socket.url, token());
    bystander.send({ op: 'subscribe', symbols: ['AAPL'] });

    const oversized = await StreamTestClient.connect(socket.url, token());
    oversized.send({ op: 'subscribe', symbols: ['AAPL'], padding: 'x'.repeat(17 * 1024) });
    await oversized.waitFor((c) => c.closed !== undefined, 3_000, 'the close of the oversized sender');
    expect(oversized.closed?.code).toBe(1009);
    // Before it authenticates, too; and a frame past the transport's own bound is cut all the same.
    const early = await StreamTestClient.connect(socket.url);
    early.send('x'.repeat(20 * 1024));
    await early.waitFor((c) => c.closed !== undefined, 3_000, 'the close of the early oversized sender');
    expect(early.closed?.code).toBe(1009);
    const huge = await StreamTestClient.connect(socket.url, token());
    huge.send('x'.repeat(1024 * 1024));
    await huge.waitFor((c) => c.closed !== undefined, 3_000, 'the close of the huge sender');
    expect(huge.closed?.code).not.toBe(1000);

    const flooder = await StreamTestClient.connect(socket.url, token());
    for (let i = 0; i < 500; i += 1) flooder.send({ op: 'ping' });
    await flooder.waitFor((c) => c.closed !== undefined, 3_000, 'the close of the flooder');
    expect(flooder.closed?.code).toBe(4029);
    expect(flooder.received.filter((m) => m.type === 'error').map((m) => m.code)).toEqual(['rate_limited']);

    const before = bystander.quotes().length;
    await bystander.waitFor((c) => c.quotes().length > before + 3, 3_000, 'quotes after the abuse');
    expect(bystander.closed).toBeUndefined();
    await bystander.close();
  });

  it('survives thousands of random frames: every answer is a typed error, pong or quote, and the server stays up', async () => {
    const fuzzSocket = await priceSocket(tickLog, { messagesPerSecond: 100_000 });
    const client = await StreamTestClient.connect(fuzzSocket.url, token());
    const frames = fc.sample(
      fc.oneof(
        fc.string({ maxLength: 200 }),
        fc.json(),
        fc.record({ op: fc.constantFrom('subscribe', 'unsubscribe', 'ping', 'auth', 'subscribe_orders', 'x'), symbols: fc.anything(), since: fc.anything(), token: fc.anything() }).map((v) => JSON.stringify(v)),
      ),
      { numRuns: 3_000, seed: 20261123 },
    );
    for (const frame of frames) client.send(frame);
    client.send({ op: 'ping' });
    await client.waitFor((c) => c.received.filter((m) => m.type === 'pong').length > 0 && c.received.at(-1)?.type !== undefined, 10_000, 'the answers');
    await pause(200);
    expect(new Set(client.received.map((m) => m.type)).size).toBeGreaterThan(0);
    for (const message of client.received) expect(['error', 'pong', 'quotes', 'snapshot', 'stale']).toContain(message.type);
    for (const error of client.received.filter((m) => m.type === 'error')) expect(['invalid_message', 'unknown_symbol', 'too_many_symbols', 'unauthorized']).toContain(error.code);
    expect(client.closed).toBeUndefined();
    const fresh = await StreamTestClient.connect(fuzzSocket.url, token());
    fresh.send({ op: 'ping' });
    await fresh.waitFor((c) => c.received.some((m) => m.type === 'pong'), 3_000, 'a pong on a fresh connection');
    await client.close();
    await fresh.close();
    await fuzzSocket.fanout.stop();
  }, 30_000);
});

describe('the price socket with a slow consumer', () => {
  it('conflates, then closes with 4008, a client that stops reading; memory stays bounded and the others keep their pace', async () => {
    const tickLog = new InProcessTickLog();
    const limits = { windowMs: 10, slowBufferedBytes: 32 * 1024, maxBufferedBytes: 512 * 1024, maxBehindMs: 1_500 };
    const socket = await priceSocket(tickLog, limits);
    const symbols = universe.slice(0, 200).map((entry) => entry.symbol);
    const source = tickSource(tickLog, symbols, 10);
    try {
      const readers = await Promise.all([0, 1, 2].map(() => StreamTestClient.connect(socket.url, token())));
      for (const reader of readers) reader.send({ op: 'subscribe', symbols: symbols.slice(0, 5) });
      const slow = await StreamTestClient.connect(socket.url, token());
      slow.send({ op: 'subscribe', symbols });
      await slow.waitFor((c) => c.quotes().length > 1_000, 5_000, 'the slow client to start receiving');
      slow.pauseReading();

      let maxBuffered = 0;
      const deadline = Date.now() + 20_000;
      while ((await gauge(socket.metrics, 'fanout_connections')) > 3 && Date.now() < deadline) {
        maxBuffered = Math.max(maxBuffered, await gauge(socket.metrics, 'fanout_max_buffered_bytes'));
        await pause(10);
      }
      expect(await gauge(socket.metrics, 'fanout_connections')).toBe(3);
      const slowClosed = await socket.metrics.getSingleMetric('fanout_slow_closed_total')!.get();
      expect(slowClosed.values[0]?.value).toBe(1);
      // The server never held more for the slow socket than the bound plus one window of quotes.
      expect(maxBuffered).toBeLessThanOrEqual(limits.maxBufferedBytes + 200 * 200);

      slow.resumeReading();
      await slow.waitFor((c) => c.closed !== undefined, 10_000, 'the slow client to see its close');
      expect(slow.closed?.code).toBe(4008);
      // What the slow client did get is still in order per symbol.
      for (const [, sequence] of sequencesBySymbol(slow.quotes())) expect([...sequence].sort((a, b) => a - b)).toEqual([...new Set(sequence)]);

      // The readers kept receiving through it all, their quotes in order and close to the tick.
      for (const reader of readers) {
        const quotes = reader.quotes().filter((quote) => !quote.snapshot);
        expect(quotes.length).toBeGreaterThan(50);
        for (const [, sequence] of sequencesBySymbol(quotes)) for (let i = 1; i < sequence.length; i += 1) expect(sequence[i]).toBeGreaterThan(sequence[i - 1]!);
        expect(reader.closed).toBeUndefined();
        await reader.close();
      }
    } finally {
      source.stop();
      await socket.fanout.stop();
    }
  }, 40_000);
});

describe('stale symbols in the embedded path', () => {
  it('tells subscribers a symbol is stale when the exchange feed stops, and sends a fresh snapshot when it resumes', async () => {
    const tickLog = new InProcessTickLog();
    let exchange = new ExchangeSimulator({ seed: 5, universeSize: 10, ticksPerSecond: 500, logger, metrics: createMetricsRegistry('sim') });
    const exchangeUrl = await exchange.listen('127.0.0.1', 0);
    const port = Number(new URL(exchangeUrl).port);
    const ingestor = new Ingestor({ feedUrl: `${exchangeUrl.replace(/^http/, 'ws')}/v1/ticks`, tickLog, latest: new InProcessLatestQuotes(), logger, staleAfterMs: 400 });
    await ingestor.start();
    const socket = await priceSocket(tickLog, {});
    try {
      const client = await StreamTestClient.connect(socket.url, token());
      client.send({ op: 'subscribe', symbols: ['AAPL'] });
      await client.waitFor((c) => c.quotes().length > 3, 5_000, 'AAPL quotes');

      await exchange.close();
      await client.waitFor((c) => c.received.some((m) => m.type === 'stale'), 5_000, 'the stale notice');
      expect(client.received.find((m) => m.type === 'stale')).toEqual({ type: 'stale', symbols: ['AAPL'] });
      const staleAt = client.received.findIndex((m) => m.type === 'stale');

      exchange = new ExchangeSimulator({ seed: 5, universeSize: 10, ticksPerSecond: 500, logger, metrics: createMetricsRegistry('sim') });
      await exchange.listen('127.0.0.1', port);
      await client.waitFor((c) => c.received.slice(staleAt).some((m) => m.type === 'snapshot'), 15_000, 'the snapshot after the feed resumed');
      const sequence = client.quotes().map((quote) => quote.seq);
      for (let i = 1; i < sequence.length; i += 1) expect(sequence[i]).toBeGreaterThan(sequence[i - 1]!);
      await client.close();
    } finally {
      await socket.fanout.stop();
      await ingestor.stop();
      await exchange.close();
    }
  }, 30_000);
});
