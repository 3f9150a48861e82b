import { decode, encode } from '@msgpack/msgpack';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { OrderUpdate } from '../../application/market/market-data.ts';
import type { Tick } from '../../application/market/market-data.ts';
import type { AlpacaConnection, StreamCredentials } from '../../infrastructure/fanout/alpaca/alpaca-connection.ts';
import { jsonCodec, msgpackCodec } from '../../infrastructure/fanout/alpaca/data-stream-codec.ts';
import { AlpacaDataStream } from '../../infrastructure/fanout/alpaca/data-stream.ts';
import { AlpacaTradingStream } from '../../infrastructure/fanout/alpaca/trading-stream.ts';
import { OrderUpdateRelay } from '../../infrastructure/fanout/order-update-relay.ts';
import { DEFAULT_LIMITS } from '../../infrastructure/fanout/stream-connection.ts';
import { InProcessOrderUpdates } from '../../infrastructure/market-data/in-process-market-data.ts';
import { createMetricsRegistry } from '../../infrastructure/observability/metrics.ts';

const logger = pino({ level: 'silent' });
const ACCOUNT = '00000000-0000-4000-8000-00000000000a';

/** A connection that records frames (decoded with the given codec), topics and its close. */
function recording(decodeFrame: (frame: string | Uint8Array) => unknown = (frame) => JSON.parse(String(frame))) {
  const connection = {
    frames: [] as unknown[],
    topics: new Set<string>(),
    buffered: 0,
    closedWith: undefined as number | undefined,
    send: (frame: string | Uint8Array) => (connection.frames.push(decodeFrame(frame)), true),
    bufferedAmount: () => connection.buffered,
    subscribe: (topic: string) => void connection.topics.add(topic),
    unsubscribe: (topic: string) => void connection.topics.delete(topic),
    close: (code: number) => void (connection.closedWith = code),
  };
  return connection satisfies AlpacaConnection;
}

/** Credentials whose key lookup answers when the test says so. */
function pendingCredentials() {
  const lookups: Array<(found: { accountId: string } | undefined) => void> = [];
  const credentials: StreamCredentials = { apiKey: () => new Promise((resolve) => lookups.push(resolve)), token: () => undefined };
  return { credentials, answer: (found: { accountId: string } | undefined) => lookups.shift()!(found) };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('the trading stream, transport-free', () => {
  function tradingStream(credentials: StreamCredentials) {
    const updates = new InProcessOrderUpdates();
    const published: Array<{ topic: string; message: unknown }> = [];
    const relay = new OrderUpdateRelay({ orderUpdates: updates, publisher: () => ({ publish: (topic, message) => void published.push({ topic, message: JSON.parse(message) }) }), logger });
    const stream = new AlpacaTradingStream({ credentials, orders: relay, limits: DEFAULT_LIMITS, logger, metrics: createMetricsRegistry('trading-unit') });
    return { stream, updates, published };
  }

  /** A session that sent authenticate (and listen, when asked), its key lookup still pending. */
  function authenticating(listen: boolean) {
    const { credentials, answer } = pendingCredentials();
    const { stream, updates, published } = tradingStream(credentials);
    const connection = recording();
    const session = stream.open(connection);
    stream.message(session, JSON.stringify({ action: 'authenticate', data: { key_id: 'PK1', secret_key: 's' } }));
    if (listen) stream.message(session, JSON.stringify({ action: 'listen', data: { streams: ['trade_updates'] } }));
    return { stream, updates, published, connection, session, answer };
  }

  it('holds a listen sent right behind authenticate until the key is found, then answers both in order', async () => {
    const { stream, connection, session, answer } = authenticating(true);
    expect(connection.frames).toEqual([]);
    answer({ accountId: ACCOUNT });
    await settle();
    expect(connection.frames).toEqual([
      { stream: 'authorization', data: { status: 'authorized', action: 'authenticate' } },
      { stream: 'listening', data: { streams: ['trade_updates'] } },
    ]);
    expect([...connection.topics]).toEqual([`t:${ACCOUNT}`]);
    stream.closed(session);
  });

  it('publishes one trade_updates frame per update that names an event, fills with Alpaca’s decimal strings', async () => {
    const { stream, updates, published, session, answer } = authenticating(true);
    answer({ accountId: ACCOUNT });
    await settle();
    const order = { id: 'o-1', clientOrderId: 'c-1', accountId: ACCOUNT, symbol: 'AAPL', side: 'buy', type: 'market', timeInForce: 'day', qty: 10, limitPriceCents: null, status: 'partially_filled', filledQty: 4, avgFillPriceCents: 15_025, externalOrderId: 'X', rejectReason: null, createdAt: '2026-12-01T10:00:00.000Z', updatedAt: '2026-12-01T10:00:02.000Z', version: 3 } as const;
    const routing: OrderUpdate = { order: { ...order, status: 'pending', filledQty: 0, avgFillPriceCents: null }, event: null, at: '2026-12-01T10:00:01.000Z' };
    const fill: OrderUpdate = { order, event: 'partial_fill', at: '2026-12-01T10:00:02.000Z', fill: { executionId: 'E-1', qty: 4, priceCents: 15_025, positionQty: 14 } };
    await updates.publish([routing, fill]);
    expect(published).toHaveLength(1);
    expect(published[0]!.topic).toBe(`t:${ACCOUNT}`);
    expect(published[0]!.message).toMatchObject({
      stream: 'trade_updates',
      data: { event: 'partial_fill', execution_id: 'E-1', timestamp: '2026-12-01T10:00:02.000Z', price: '150.25', qty: '4', position_qty: '14', order: { id: 'o-1', status: 'partially_filled', filled_qty: '4', filled_avg_price: '150.25' } },
    });
    stream.closed(session);
  });

  it('refuses an unknown key with unauthorized and closes with 4001', async () => {
    const { connection, answer } = authenticating(false);
    answer(undefined);
    await settle();
    expect(connection.frames).toEqual([{ stream: 'authorization', data: { status: 'unauthorized', action: 'authenticate' } }]);
    expect(connection.closedWith).toBe(4001);
  });
});

describe('the data stream, transport-free', () => {
  afterEach(() => vi.useRealTimers());
  const tick = (symbol: string, seq: number, ts = '2026-12-01T10:00:00.500Z'): Tick => ({ symbol, seq, priceCents: 10_000 + seq, bidCents: 9_990, askCents: 10_010, volume: seq * 10, ts, openCents: 10_000 });

  async function authenticatedSession(stream: AlpacaDataStream, connection: ReturnType<typeof recording>, codec = jsonCodec) {
    const session = stream.open(connection, codec);
    const frame = (message: object) => (codec === jsonCodec ? new TextEncoder().encode(JSON.stringify(message)) : encode(message));
    stream.message(session, frame({ action: 'auth', key: 'K', secret: 'S' }), codec !== jsonCodec);
    await settle();
    return { session, send: (message: object) => stream.message(session, frame(message), codec !== jsonCodec) };
  }

  it('sends each connection one array frame per window, each message encoded once per encoding', async () => {
    const credentials: StreamCredentials = { apiKey: async () => ({ accountId: ACCOUNT }), token: () => undefined };
    const stream = new AlpacaDataStream({ credentials, limits: DEFAULT_LIMITS, logger, metrics: createMetricsRegistry('data-unit') });
    const json = recording();
    const packed = recording((frame) => decode(frame as Uint8Array));
    const a = await authenticatedSession(stream, json);
    const b = await authenticatedSession(stream, packed, msgpackCodec);
    a.send({ action: 'subscribe', quotes: ['AAPL', 'MSFT'], trades: ['AAPL'] });
    b.send({ action: 'subscribe', quotes: ['AAPL'] });
    const encode = vi.spyOn(msgpackCodec, 'encode');
    stream.window([tick('AAPL', 7), tick('MSFT', 8), tick('TSLA', 9)], Date.now());
    expect(json.frames.at(-1)).toEqual([
      { T: 't', S: 'AAPL', c: ['@'], i: 7, p: 100.07, s: 0, t: '2026-12-01T10:00:00.500Z', x: 'Q', z: 'C' },
      { T: 'q', S: 'AAPL', ap: 100.1, as: 0, ax: 'Q', bp: 99.9, bs: 0, bx: 'Q', c: ['R'], t: '2026-12-01T10:00:00.500Z', z: 'C' },
      { T: 'q', S: 'MSFT', ap: 100.1, as: 0, ax: 'Q', bp: 99.9, bs: 0, bx: 'Q', c: ['R'], t: '2026-12-01T10:00:00.500Z', z: 'C' },
    ]);
    expect(packed.frames.at(-1)).toEqual([{ T: 'q', S: 'AAPL', ap: 100.1, as: 0, ax: 'Q', bp: 99.9, bs: 0, bx: 'Q', c: ['R'], t: new Date('2026-12-01T10:00:00.500Z'), z: 'C' }]);
    expect(encode).toHaveBeenCalledTimes(1);
    encode.mockRestore();
  });

  it('stops sending to a connection that falls behind, and sends 407 and closes one that stays behind', async () => {
    const credentials: StreamCredentials = { apiKey: async () => ({ accountId: ACCOUNT }), token: () => undefined };
    const limits = { ...DEFAULT_LIMITS, slowBufferedBytes: 1_000, maxBufferedBytes: 10_000, maxBehindMs: 500 };
    const stream = new AlpacaDataStream({ credentials, limits, logger, metrics: createMetricsRegistry('data-slow-unit') });
    const connection = recording();
    const { send } = await authenticatedSession(stream, connection);
    send({ action: 'subscribe', quotes: ['AAPL'] });
    const start = Date.now();
    connection.buffered = 5_000;
    stream.window([tick('AAPL', 1)], start); // sent, then found behind
    const sent = connection.frames.length;
    stream.window([tick('AAPL', 2)], start + 100);
    expect(connection.frames).toHaveLength(sent);
    stream.window([tick('AAPL', 3)], start + 700);
    expect(connection.frames.at(-1)).toEqual([{ T: 'error', code: 407, msg: 'slow client' }]);
    expect(connection.closedWith).toBe(4008);
  });
});

describe('the MessagePack framing', () => {
  it('makes an array frame of separately encoded messages that decodes as the array would', () => {
    for (const count of [1, 15, 16, 300]) {
      const messages = Array.from({ length: count }, (_, i) => ({ T: 'q', S: `S${i}`, bp: i / 100 }));
      const frame = msgpackCodec.frame(messages.map((message) => msgpackCodec.encode(message)));
      expect(decode(frame as Uint8Array)).toEqual(messages);
      expect(frame).toEqual(encode(messages));
    }
  });
});

describe('both streams under random frames', () => {
  const credentials: StreamCredentials = { apiKey: async () => ({ accountId: ACCOUNT }), token: () => undefined };
  const limits = { ...DEFAULT_LIMITS, messagesPerSecond: 1_000_000 };
  const frames = fc.sample(
    fc.oneof(
      fc.string({ maxLength: 100 }).map((text) => new TextEncoder().encode(text)),
      fc.uint8Array({ maxLength: 64 }),
      fc.record({ action: fc.constantFrom('auth', 'subscribe', 'unsubscribe', 'authenticate', 'listen', 'x'), key: fc.anything(), secret: fc.anything(), trades: fc.anything(), quotes: fc.oneof(fc.array(fc.string({ maxLength: 6 }), { maxLength: 8 }), fc.anything()), data: fc.anything() }).map((value) => encode(value)),
      fc.json().map((text) => new TextEncoder().encode(text)),
    ),
    { numRuns: 2_000, seed: 20261202 },
  );

  it('the data stream answers each with a typed error or a subscription and never throws', async () => {
    for (const [codec, isBinary] of [[jsonCodec, false], [msgpackCodec, true]] as const) {
      const stream = new AlpacaDataStream({ credentials, limits, logger, metrics: createMetricsRegistry(`data-fuzz-${codec.name}`) });
      const connection = recording((frame) => (typeof frame === 'string' ? JSON.parse(frame) : decode(frame)));
      const session = stream.open(connection, codec);
      const auth = { action: 'auth', key: 'K', secret: 'S' };
      stream.message(session, isBinary ? encode(auth) : new TextEncoder().encode(JSON.stringify(auth)), isBinary);
      await settle();
      for (const frame of frames) {
        stream.message(session, frame, isBinary);
        await settle();
      }
      const messages = (connection.frames as Array<Array<{ T: string; code?: number }>>).flat();
      for (const message of messages) expect(['success', 'error', 'subscription']).toContain(message.T);
      expect(messages.filter((message) => message.T === 'error').length).toBeGreaterThan(100);
      for (const error of messages.filter((message) => message.T === 'error')) expect([400, 401, 403, 405]).toContain(error.code);
      expect(connection.closedWith).toBeUndefined();
      stream.closed(session);
    }
  });

  it('the trading stream answers each with an object carrying data and never throws', async () => {
    const relay = new OrderUpdateRelay({ orderUpdates: new InProcessOrderUpdates(), publisher: () => undefined, logger });
    const stream = new AlpacaTradingStream({ credentials, orders: relay, limits, logger, metrics: createMetricsRegistry('trading-fuzz') });
    const connection = recording();
    const session = stream.open(connection);
    for (const frame of frames) {
      stream.message(session, Buffer.from(frame).toString('utf8'));
      await settle();
    }
    for (const message of connection.frames as Array<{ data: unknown }>) expect(typeof message.data).toBe('object');
    expect(connection.closedWith).toBeUndefined();
    stream.closed(session);
  });
});

