import kafkajs, { type Admin, type Producer } from 'kafkajs';
import pRetry, { AbortError } from 'p-retry';
import type { Tick, TickLog } from '../../application/market/market-data.ts';

export const TICKS_TOPIC = 'market.ticks';
export const LAST_TOPIC = 'market.last';
export const TICK_PARTITIONS = 12;

/**
 * The tick log on Kafka: every tick to `market.ticks` (key = symbol, so a symbol's ticks keep
 * their order in one partition) and to the compacted `market.last` (the latest per symbol, which
 * fan-outs warm from). The producer is idempotent and waits for every in-sync replica.
 */
export class KafkaTickLog implements TickLog {
  private constructor(
    private readonly kafka: kafkajs.Kafka,
    private readonly producer: Producer,
  ) {}

  static async connect(brokers: string[], clientId = 'trading-core-ingestor'): Promise<KafkaTickLog> {
    const kafka = new kafkajs.Kafka({ clientId, brokers, logLevel: kafkajs.logLevel.WARN });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await ensureTopics(admin);
    } finally {
      await admin.disconnect();
    }
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    return new KafkaTickLog(kafka, producer);
  }

  async publish(ticks: readonly Tick[]): Promise<void> {
    if (ticks.length === 0) return;
    const messages = ticks.map((tick) => ({ key: tick.symbol, value: JSON.stringify(tick) }));
    await this.producer.sendBatch({
      acks: -1,
      topicMessages: [
        { topic: TICKS_TOPIC, messages },
        { topic: LAST_TOPIC, messages },
      ],
    });
  }

  /** Reads the compacted topic from its start to its end: the last sequence per symbol. */
  async lastSequences(): Promise<Map<string, number>> {
    const ends = await topicOffsets(this.kafka, LAST_TOPIC);
    const remaining = new Map(ends.filter((end) => Number(end.high) > Number(end.low)).map((end) => [end.partition, Number(end.high)]));
    const last = new Map<string, number>();
    if (remaining.size === 0) return last;
    const consumer = this.kafka.consumer({ groupId: `trading-core-recovery-${process.pid}-${Date.now()}` });
    await consumer.connect();
    await consumer.subscribe({ topic: LAST_TOPIC, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            const tick = JSON.parse(message.value!.toString()) as Tick;
            last.set(tick.symbol, Math.max(last.get(tick.symbol) ?? 0, tick.seq));
            if (Number(message.offset) + 1 >= (remaining.get(partition) ?? 0)) remaining.delete(partition);
            if (remaining.size === 0) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    return last;
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}

/**
 * Runs a Kafka admin call, retrying with back-off while it fails with an error Kafka's protocol
 * calls retriable — a topic created or a broker started a moment ago answers "not the leader",
 * "leader not available" or "does not host this topic-partition" while its partitions settle.
 */
function retryingKafka<T>(call: () => Promise<T>): Promise<T> {
  return pRetry(
    async () => {
      try {
        return await call();
      } catch (error) {
        if (error instanceof kafkajs.KafkaJSError && error.retriable) throw error;
        throw new AbortError(error instanceof Error ? error : new Error(String(error)));
      }
    },
    { retries: 10, minTimeout: 100, maxTimeout: 2_000 },
  );
}

/** Creates the topics that do not exist yet and returns once every partition of both has a leader. */
async function ensureTopics(admin: Admin): Promise<void> {
  const topics = [
    { topic: TICKS_TOPIC, numPartitions: TICK_PARTITIONS, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: String(24 * 3600 * 1000) }] },
    { topic: LAST_TOPIC, numPartitions: TICK_PARTITIONS, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
  ];
  await retryingKafka(async () => {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((topic) => !existing.has(topic.topic));
    if (missing.length > 0) await admin.createTopics({ topics: missing, waitForLeaders: true });
    for (const { topic } of topics) await admin.fetchTopicOffsets(topic);
  });
}

/** A topic's low and high offsets per partition. */
export async function topicOffsets(kafka: kafkajs.Kafka, topic: string): Promise<Array<{ partition: number; low: string; high: string }>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await retryingKafka(() => admin.fetchTopicOffsets(topic));
  } finally {
    await admin.disconnect();
  }
}
