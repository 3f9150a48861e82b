import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import kafkajs from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tick } from '../../application/market/market-data.ts';
import { ExchangeSimulator } from '../../infrastructure/exchange-sim/exchange-simulator.ts';
import { Ingestor } from '../../infrastructure/market-data/ingestor.ts';
import { KafkaTickLog, topicOffsets } from '../../infrastructure/market-data/kafka-tick-log.ts';
import { RedisLatestQuotes } from '../../infrastructure/market-data/redis-latest-quotes.ts';
import { createMetricsRegistry } from '../../infrastructure/observability/metrics.ts';
import { isolatedTickTopics, TEST_BROKERS } from '../support/kafka-topics.ts';

const BROKERS = TEST_BROKERS;
const topics = isolatedTickTopics('ingestor');
const logger = pino({ level: 'silent' });
/** Added to the last sequence the log holds when an ingestor starts (the Ingestor's default, named here). */
const RESTART_GAP = 1_000;

/** Every message of `topic` between two sets of partition offsets, in partition order. */
async function readRange(from: Map<number, number>, to: Map<number, number>): Promise<Array<{ key: string; tick: Tick; partition: number }>> {
  const kafka = new kafkajs.Kafka({ clientId: 'ingestor-test', brokers: BROKERS, logLevel: kafkajs.logLevel.NOTHING });
  const wanted = new Map([...to].filter(([partition, end]) => end > (from.get(partition) ?? 0)));
  const read: Array<{ key: string; tick: Tick; partition: number }> = [];
  if (wanted.size === 0) return read;
  const consumer = kafka.consumer({ groupId: `ingestor-test-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: topics.ticks });
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ partition, message }) => {
          const offset = Number(message.offset);
          if (offset < (from.get(partition) ?? 0) || offset >= (to.get(partition) ?? 0)) return;
          read.push({ key: message.key!.toString(), tick: JSON.parse(message.value!.toString()) as Tick, partition });
          if (offset + 1 >= to.get(partition)!) wanted.delete(partition);
          if (wanted.size === 0) resolve();
        },
      })
      .catch(reject);
    for (const [partition] of wanted) consumer.seek({ topic: topics.ticks, partition, offset: String(from.get(partition) ?? 0) });
  });
  await consumer.disconnect();
  return read;
}

async function offsets(): Promise<Map<number, number>> {
  const kafka = new kafkajs.Kafka({ clientId: 'ingestor-test', brokers: BROKERS, logLevel: kafkajs.logLevel.NOTHING });
  const result = await topicOffsets(kafka, topics.ticks);
  return new Map(result.map((entry) => [entry.partition, Number(entry.high)]));
}

describe('ingestor on the real Kafka broker and Redis', () => {
  let exchange: ExchangeSimulator;
  let feedUrl: string;
  let redis: Redis;
  const prefix = `test-${randomUUID().slice(0, 8)}:`;

  beforeAll(async () => {
    exchange = new ExchangeSimulator({ seed: 3, universeSize: 40, ticksPerSecond: 2_000, logger, metrics: createMetricsRegistry('sim') });
    feedUrl = `${(await exchange.listen('127.0.0.1', 0)).replace(/^http/, 'ws')}/v1/ticks`;
    redis = new Redis('redis://127.0.0.1:6379');
    // Creates the topics on a fresh broker, so the offsets read before the first run are real.
    await (await KafkaTickLog.connect(BROKERS, 'ingestor-test', topics)).close();
  });
  afterAll(async () => {
    await exchange?.close();
    await redis?.quit();
    await topics.remove();
  });

  async function runIngestor(ms: number): Promise<void> {
    const tickLog = await KafkaTickLog.connect(BROKERS, 'ingestor-test', topics);
    const ingestor = new Ingestor({ feedUrl, tickLog, latest: new RedisLatestQuotes(redis, prefix), logger, metrics: createMetricsRegistry('ingestor'), restartGap: RESTART_GAP });
    await ingestor.start();
    await new Promise((resolve) => setTimeout(resolve, ms));
    await ingestor.stop();
    await tickLog.close();
  }

  it('numbers each symbol\'s ticks 1, 2, 3… without a gap within a run, resumes past the restart gap after a restart, and keeps the latest quote in Redis', async () => {
    const before = await offsets();
    await runIngestor(1_500);
    const middle = await offsets();
    await runIngestor(1_000);
    const after = await offsets();

    const first = await readRange(before, middle);
    const second = await readRange(middle, after);
    expect(first.length).toBeGreaterThan(500);
    expect(second.length).toBeGreaterThan(300);

    const lastSeq = new Map<string, number>();
    const partitionOf = new Map<string, number>();
    for (const [run, ticks] of [first, second].entries()) {
      const seenThisRun = new Set<string>();
      // Within a partition Kafka keeps order; every symbol lives in one partition.
      for (const { key, tick, partition } of [...ticks].sort((a, b) => a.partition - b.partition)) {
        expect(key).toBe(tick.symbol);
        expect(partitionOf.get(key) ?? partition).toBe(partition);
        partitionOf.set(key, partition);
        const previous = lastSeq.get(key);
        // Within a run each tick is the previous + 1: a tick dropped anywhere leaves a gap here. The
        // first run starts every symbol at 1 (fresh topics); the second resumes past the restart gap.
        const expected = seenThisRun.has(key) ? previous! + 1 : run === 0 ? 1 : (previous ?? 0) + RESTART_GAP + 1;
        expect(tick.seq, `${key}: tick ${tick.seq} of run ${run + 1} after ${previous ?? 'none'}`).toBe(expected);
        seenThisRun.add(key);
        lastSeq.set(key, tick.seq);
      }
    }

    const aapl = await new RedisLatestQuotes(redis, prefix).latest('AAPL');
    expect(aapl?.seq).toBe(lastSeq.get('AAPL'));
    expect(aapl).toMatchObject({ symbol: 'AAPL', priceCents: expect.any(Number), changePct: expect.any(Number) });
    await redis.del(`${prefix}quotes:latest`, `${prefix}quotes:open`);
  }, 60_000);
});
