import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Candle, CandleInterval } from '../../application/market/candles.ts';
import type { Tick } from '../../application/market/market-data.ts';
import { createCandleMetrics, type CandleMetrics } from '../../infrastructure/market-data/candles/candle-metrics.ts';
import { KafkaCandleConsumer } from '../../infrastructure/market-data/candles/kafka-candle-consumer.ts';
import { SqlCandleStore } from '../../infrastructure/market-data/candles/sql-candle-store.ts';
import { InProcessTickLog } from '../../infrastructure/market-data/in-process-market-data.ts';
import { KafkaTickLog } from '../../infrastructure/market-data/kafka-tick-log.ts';
import { isolatedTickTopics, TEST_BROKERS } from '../support/kafka-topics.ts';
import { PostgresSqlClient } from '../../infrastructure/persistence/postgres-client.ts';
import { startInProcessCandles } from '../../infrastructure/processes/candles-process.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres-test-database.ts';
import { startTradingApp, type TradingApp } from '../support/trading-app.ts';

const BROKERS = TEST_BROKERS;
const topics = isolatedTickTopics('candles');
const logger = pino({ level: 'silent' });

const tick = (symbol: string, seq: number, priceCents: number, volume: number, ts: string): Tick => ({ symbol, seq, priceCents, bidCents: priceCents - 1, askCents: priceCents + 1, volume, ts });

/** A symbol no other test (or the simulator) publishes, so other ticks on the shared topic never mix in. */
const testSymbol = (): string => `Q${randomUUID().replace(/[^a-f]/g, '').slice(0, 6).toUpperCase().padEnd(6, 'X')}`;

/** Candles as the API shows them, for readable expectations. */
const shown = (candles: readonly Candle[]) =>
  candles.map((candle) => ({ t: new Date(candle.startMs).toISOString(), o: candle.openCents, h: candle.highCents, l: candle.lowCents, c: candle.closeCents, v: candle.volume }));

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const counterValue = async (metrics: CandleMetrics, name: 'ticksApplied' | 'ticksRedelivered'): Promise<number> => (await metrics[name].get()).values[0]?.value ?? 0;

/** Ticks of one symbol across a minute boundary, with the candles they make. */
function firstTicks(symbol: string): Tick[] {
  return [
    tick(symbol, 1, 10_000, 5_000, '2026-01-05T14:00:58.100Z'),
    tick(symbol, 2, 10_050, 5_030, '2026-01-05T14:00:58.600Z'),
    tick(symbol, 3, 9_990, 5_100, '2026-01-05T14:00:59.900Z'),
    tick(symbol, 4, 10_010, 5_120, '2026-01-05T14:01:00.000Z'),
    tick(symbol, 5, 10_200, 5_200, '2026-01-05T14:01:00.700Z'),
    tick(symbol, 6, 10_100, 5_210, '2026-01-05T14:01:01.300Z'),
  ];
}

const FIRST_SECONDS = [
  { t: '2026-01-05T14:00:58.000Z', o: 10_000, h: 10_050, l: 10_000, c: 10_050, v: 30 },
  { t: '2026-01-05T14:00:59.000Z', o: 9_990, h: 9_990, l: 9_990, c: 9_990, v: 70 },
  { t: '2026-01-05T14:01:00.000Z', o: 10_010, h: 10_200, l: 10_010, c: 10_200, v: 100 },
  { t: '2026-01-05T14:01:01.000Z', o: 10_100, h: 10_100, l: 10_100, c: 10_100, v: 10 },
];
const FIRST_MINUTES = [
  { t: '2026-01-05T14:00:00.000Z', o: 10_000, h: 10_050, l: 9_990, c: 9_990, v: 100 },
  { t: '2026-01-05T14:01:00.000Z', o: 10_010, h: 10_200, l: 10_010, c: 10_100, v: 110 },
];

describe('candles from the real Kafka broker into real PostgreSQL', () => {
  let database: TestDatabase;
  let db: PostgresSqlClient;
  let store: SqlCandleStore;
  let tickLog: KafkaTickLog;
  const groupId = `candles-test-${randomUUID()}`;
  const groups = new Set<string>();
  const running: KafkaCandleConsumer[] = [];

  async function startConsumer(group = groupId): Promise<{ consumer: KafkaCandleConsumer; metrics: CandleMetrics }> {
    groups.add(group);
    const metrics = createCandleMetrics(new Registry());
    const consumer = new KafkaCandleConsumer({ brokers: BROKERS, store, logger, metrics, groupId: group, startWithoutCheckpoint: 'latest', topics });
    await consumer.start();
    running.push(consumer);
    return { consumer, metrics };
  }

  const read = (symbol: string, interval: CandleInterval) => store.candles({ symbol, interval, limit: 1_000 }).then(shown);

  beforeAll(async () => {
    database = await createTestDatabase('candles');
    db = PostgresSqlClient.connect(database.appUrl, { max: 6 });
    store = new SqlCandleStore(db);
    tickLog = await KafkaTickLog.connect(BROKERS, 'candles-test', topics);
  });
  afterAll(async () => {
    for (const consumer of running) await consumer.stop();
    await tickLog?.close();
    // The groups were this file's alone; leave nothing behind on the shared broker.
    const admin = new kafkajs.Kafka({ clientId: 'candles-test', brokers: BROKERS, logLevel: kafkajs.logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.deleteGroups([...groups]).catch(() => undefined);
    await admin.disconnect();
    await topics.remove();
    await db?.close();
    await database?.drop();
  });

  it('given ticks (one pair out of order) and a stale marker on market.ticks, when the consumer runs, then it stores 1s, 1m, 1h and 1d candles with the volume traded in each', async () => {
    const symbol = testSymbol();
    const { consumer } = await startConsumer();
    const [t1, t2, t3, t4, t5, t6] = firstTicks(symbol);
    await tickLog.publish([t1!, t3!, t2!]);
    await tickLog.markStale([symbol], '2026-01-05T14:00:59.950Z');
    await tickLog.publish([t4!, t5!, t6!]);

    expect(await eventually(() => read(symbol, '1s'), (candles) => candles.length === 4 && candles[3]!.v === 10)).toEqual(FIRST_SECONDS);
    expect(await read(symbol, '1m')).toEqual(FIRST_MINUTES);
    expect(await read(symbol, '1h')).toEqual([{ t: '2026-01-05T14:00:00.000Z', o: 10_000, h: 10_200, l: 9_990, c: 10_100, v: 210 }]);
    expect(await read(symbol, '1d')).toEqual([{ t: '2026-01-05T00:00:00.000Z', o: 10_000, h: 10_200, l: 9_990, c: 10_100, v: 210 }]);
    await consumer.stop();
    running.splice(running.indexOf(consumer), 1);
  });

  it('given a stopped consumer whose Kafka group offsets are reset to the beginning, when it restarts, then it resumes after the PostgreSQL checkpoint and counts nothing twice', async () => {
    const symbol = testSymbol();
    const first = await startConsumer();
    await tickLog.publish(firstTicks(symbol));
    await eventually(() => read(symbol, '1m'), (candles) => candles[1]?.v === 110);
    await first.consumer.stop();
    running.splice(running.indexOf(first.consumer), 1);

    // Kafka would now hand every retained tick to the group again; only PostgreSQL knows better.
    const kafka = new kafkajs.Kafka({ clientId: 'candles-test', brokers: BROKERS, logLevel: kafkajs.logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.resetOffsets({ groupId, topic: topics.ticks, earliest: true });
    await admin.disconnect();
    await tickLog.publish([tick(symbol, 7, 10_300, 5_260, '2026-01-05T14:01:02.000Z'), tick(symbol, 8, 10_400, 5_300, '2026-01-05T14:02:00.000Z')]);

    await startConsumer();
    const minutes = await eventually(() => read(symbol, '1m'), (candles) => candles.length === 3);
    expect(minutes).toEqual([
      FIRST_MINUTES[0],
      { t: '2026-01-05T14:01:00.000Z', o: 10_010, h: 10_300, l: 10_010, c: 10_300, v: 160 },
      { t: '2026-01-05T14:02:00.000Z', o: 10_400, h: 10_400, l: 10_400, c: 10_400, v: 40 },
    ]);
    // Let the consumer read on; nothing more may arrive for this symbol.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await read(symbol, '1h')).toEqual([{ t: '2026-01-05T14:00:00.000Z', o: 10_000, h: 10_400, l: 9_990, c: 10_400, v: 300 }]);
  });

  it('given every tick delivered twice (a second consumer group on the same database), when both consumers apply them, then the checkpoint skips the copies and the candles count each tick once', async () => {
    const symbol = testSymbol();
    const consumers = [await startConsumer(`candles-test-${randomUUID()}`), await startConsumer(`candles-test-${randomUUID()}`)];
    const redelivered = async () => (await Promise.all(consumers.map(({ metrics }) => counterValue(metrics, 'ticksRedelivered')))).reduce((sum, value) => sum + value, 0);
    await tickLog.publish(firstTicks(symbol));

    expect(await eventually(redelivered, (count) => count >= 6)).toBeGreaterThanOrEqual(6);
    expect(await read(symbol, '1s')).toEqual(FIRST_SECONDS);
    expect(await read(symbol, '1m')).toEqual(FIRST_MINUTES);
  });
});

describe('the candle store on real PostgreSQL', () => {
  let database: TestDatabase;
  let db: PostgresSqlClient;
  let store: SqlCandleStore;

  beforeAll(async () => {
    database = await createTestDatabase('candle_store');
    db = PostgresSqlClient.connect(database.appUrl, { max: 4 });
    store = new SqlCandleStore(db);
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  it('given a batch applied once, when it is delivered again and then with an overlap, then only the offsets past the checkpoint count', async () => {
    const ticks = firstTicks('AAPL').map((value, offset) => ({ offset: BigInt(offset), tick: value }));
    const batch = (from: number, to: number) => ({ log: 'test.ticks', partition: 3, lastOffset: BigInt(to), ticks: ticks.slice(from, to + 1) });

    expect(await store.applyPartitionBatch(batch(0, 2))).toEqual({ applied: 3, redelivered: 0 });
    expect(await store.applyPartitionBatch(batch(0, 2))).toEqual({ applied: 0, redelivered: 3 });
    expect(await store.applyPartitionBatch(batch(1, 5))).toEqual({ applied: 3, redelivered: 2 });
    expect(await store.checkpoints('test.ticks')).toEqual(new Map([[3, 5n]]));
    expect(shown(await store.candles({ symbol: 'AAPL', interval: '1s', limit: 100 }))).toEqual(FIRST_SECONDS);
  });

  it('given many candles, when queried with a window and a limit, then the newest of the window come back oldest first', async () => {
    await store.applyLiveTicks(Array.from({ length: 10 }, (_, i) => tick('MSFT', i + 1, 30_000 + i, 100 + i, `2026-01-06T09:30:0${i}.500Z`)));
    const seconds = (query: { fromMs?: number; toMs?: number; limit: number }) => store.candles({ symbol: 'MSFT', interval: '1s', ...query }).then((candles) => candles.map((candle) => candle.openCents));

    expect(await seconds({ limit: 3 })).toEqual([30_007, 30_008, 30_009]);
    expect(await seconds({ fromMs: Date.parse('2026-01-06T09:30:02Z'), toMs: Date.parse('2026-01-06T09:30:05Z'), limit: 100 })).toEqual([30_002, 30_003, 30_004, 30_005]);
    expect(await seconds({ fromMs: Date.parse('2026-01-06T09:30:02Z'), toMs: Date.parse('2026-01-06T09:30:05Z'), limit: 2 })).toEqual([30_004, 30_005]);
    expect(await seconds({ fromMs: Date.parse('2026-01-06T09:30:08.001Z'), limit: 100 })).toEqual([30_009]);
  });

  it('given one-second candles on both sides of the retention cutoff, when pruned, then only the older one-second candles go', async () => {
    await store.applyLiveTicks([tick('TSLA', 1, 25_000, 10, '2026-01-07T10:00:00.000Z'), tick('TSLA', 2, 25_100, 20, '2026-01-07T10:00:05.000Z')]);

    expect(await store.pruneCandles('1s', Date.parse('2026-01-07T10:00:05.000Z'))).toBeGreaterThanOrEqual(1);
    expect(shown(await store.candles({ symbol: 'TSLA', interval: '1s', limit: 100 }))).toEqual([{ t: '2026-01-07T10:00:05.000Z', o: 25_100, h: 25_100, l: 25_100, c: 25_100, v: 10 }]);
    expect(shown(await store.candles({ symbol: 'TSLA', interval: '1m', limit: 100 }))).toEqual([{ t: '2026-01-07T10:00:00.000Z', o: 25_000, h: 25_100, l: 25_000, c: 25_100, v: 10 }]);
  });

  it('given minute candles on both sides of the retention cutoff, when minute candles are pruned, then only the older minute candles go, and no other interval', async () => {
    await store.applyLiveTicks([tick('NFLX', 1, 60_000, 10, '2026-01-08T10:00:30.000Z'), tick('NFLX', 2, 60_500, 25, '2026-01-08T10:01:30.000Z')]);

    expect(await store.pruneCandles('1m', Date.parse('2026-01-08T10:01:00.000Z'))).toBeGreaterThanOrEqual(1);
    expect(shown(await store.candles({ symbol: 'NFLX', interval: '1m', limit: 100 }))).toEqual([{ t: '2026-01-08T10:01:00.000Z', o: 60_500, h: 60_500, l: 60_500, c: 60_500, v: 15 }]);
    expect(await store.candles({ symbol: 'NFLX', interval: '1s', limit: 100 })).toHaveLength(2);
    expect(shown(await store.candles({ symbol: 'NFLX', interval: '1h', limit: 100 }))).toEqual([{ t: '2026-01-08T10:00:00.000Z', o: 60_000, h: 60_500, l: 60_000, c: 60_500, v: 15 }]);
  });
});

describe('GET /v1/symbols/:symbol/candles in the embedded composition (PGlite, in-process tick log)', () => {
  let trading: TradingApp;
  let tickLog: InProcessTickLog;
  let stopCandles: () => Promise<void>;

  beforeAll(async () => {
    trading = await startTradingApp({ EVENT_STORE: 'pglite' }, { projector: false });
    tickLog = new InProcessTickLog();
    const candles = await startInProcessCandles(trading.composition, tickLog);
    stopCandles = () => candles.stop();
    await tickLog.publish(firstTicks('AAPL').slice(0, 3));
    await tickLog.markStale(['AAPL'], '2026-01-05T14:00:59.950Z');
    await tickLog.publish(firstTicks('AAPL').slice(3));
    await eventually(
      () => trading.app.inject({ method: 'GET', url: '/v1/symbols/AAPL/candles?interval=1s' }).then((response) => response.json() as { candles: unknown[] }),
      (body) => body.candles.length === 4,
    );
  });
  afterAll(async () => {
    await stopCandles?.();
    await trading?.close();
  });

  it('given folded ticks, when a window of minute candles is asked for, then they come back as { t, o, h, l, c, v } in cents, oldest first', async () => {
    const response = await trading.app.inject({ method: 'GET', url: '/v1/symbols/AAPL/candles?interval=1m&from=2026-01-05T14:00:00.000Z&to=2026-01-05T14:59:59.999Z' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ candles: FIRST_MINUTES });
  });

  it('given more candles than the limit, when asked without a window, then the newest come back', async () => {
    const response = await trading.app.inject({ method: 'GET', url: '/v1/symbols/AAPL/candles?interval=1s&limit=2' });
    expect(response.json()).toEqual({ candles: FIRST_SECONDS.slice(2) });
  });

  it('given a window with no candles (as early as ISO-8601 goes), when asked, then the answer is an empty list', async () => {
    const response = await trading.app.inject({ method: 'GET', url: '/v1/symbols/AAPL/candles?interval=1d&to=2025-12-31T23:59:59.999Z' });
    expect(response.json()).toEqual({ candles: [] });
    const yearZero = await trading.app.inject({ method: 'GET', url: '/v1/symbols/AAPL/candles?interval=1d&from=0000-01-01T00:00:00Z&to=0001-01-01T00:00:00%2B05:00' });
    expect(yearZero.statusCode).toBe(200);
    expect(yearZero.json()).toEqual({ candles: [] });
  });

  it('given from after to, an unknown interval or a limit past the cap, when asked, then the answer is 400 invalid_request', async () => {
    const backwards = await trading.app.inject({ method: 'GET', url: '/v1/symbols/AAPL/candles?from=2026-01-05T15:00:00.000Z&to=2026-01-05T14:00:00.000Z' });
    expect(backwards.statusCode).toBe(400);
    expect(backwards.json().error.code).toBe('invalid_request');
    expect((await trading.app.inject({ method: 'GET', url: '/v1/symbols/AAPL/candles?interval=5m' })).statusCode).toBe(400);
    expect((await trading.app.inject({ method: 'GET', url: '/v1/symbols/AAPL/candles?limit=1001' })).statusCode).toBe(400);
  });

  it('given a symbol that is not listed, when its candles are asked for, then the answer is 404 not_found', async () => {
    const response = await trading.app.inject({ method: 'GET', url: '/v1/symbols/NOPE/candles' });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('not_found');
  });

  it('given the API docs, when read, then the candles route says how many candles it answers at most', async () => {
    const docs = (await trading.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, { get: { description?: string } }> };
    expect(docs.paths['/v1/symbols/{symbol}/candles']?.get.description).toContain('1000');
  });
});
