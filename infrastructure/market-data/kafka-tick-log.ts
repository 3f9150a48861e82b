import { randomUUID } from 'node:crypto';
import kafkajs, { type Admin, type Consumer, type Producer } from 'kafkajs';
import pRetry, { AbortError } from 'p-retry';
import { newestPerSymbol, type StaleMarker, type Tick, type TickLog, type TickLogEntry, type TickStream } from '../../application/market/market-data.ts';
import type { Logger } from '../logging/logger.ts';

export const TICK_PARTITIONS = 12;

/** The two tick topics: every tick, and the compacted latest per symbol. */
export interface TickTopics {
  readonly ticks: string;
  readonly last: string;
}

/**
 * The tick topics under a prefix (`KAFKA_TOPIC_PREFIX`): several deployments, or a benchmark
 * run, can share one Kafka cluster without reading each other's ticks.
 */
export function tickTopics(prefix = ''): TickTopics {
  return { ticks: `${prefix}market.ticks`, last: `${prefix}market.last` };
}

export const DEFAULT_TICK_TOPICS = tickTopics();
export const TICKS_TOPIC = DEFAULT_TICK_TOPICS.ticks;

/**
 * The tick log on Kafka: every tick to `market.ticks` (key = symbol, so a symbol's ticks keep
 * their order in one partition) and to the compacted `market.last` (the latest per symbol, which
 * fan-outs warm from). Stale markers go to `market.ticks` only, in order with the symbol's ticks.
 * The producer is idempotent and waits for every in-sync replica.
 */
export class KafkaTickLog implements TickLog {
  private constructor(
    private readonly kafka: kafkajs.Kafka,
    private readonly producer: Producer,
    private readonly topics: TickTopics,
  ) {}

  static async connect(brokers: string[], clientId = 'trading-core-ingestor', topics: TickTopics = DEFAULT_TICK_TOPICS): Promise<KafkaTickLog> {
    const kafka = await connectWithTopics(brokers, clientId, topics);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    return new KafkaTickLog(kafka, producer, topics);
  }

  /**
   * Every tick to the ticks topic; to the compacted topic only each symbol's newest tick of the
   * batch, since compaction keeps nothing else of a symbol (fewer messages, same end state).
   */
  async publish(ticks: readonly Tick[]): Promise<void> {
    if (ticks.length === 0) return;
    const encoded = new Map<Tick, { key: string; value: string }>();
    const message = (tick: Tick) => {
      let found = encoded.get(tick);
      if (!found) encoded.set(tick, (found = { key: tick.symbol, value: JSON.stringify(tick) }));
      return found;
    };
    await this.producer.sendBatch({
      acks: -1,
      topicMessages: [
        { topic: this.topics.ticks, messages: ticks.map(message) },
        { topic: this.topics.last, messages: newestPerSymbol(ticks).map(message) },
      ],
    });
  }

  async markStale(symbols: readonly string[], ts: string): Promise<void> {
    if (symbols.length === 0) return;
    const messages = symbols.map((symbol) => ({ key: symbol, value: JSON.stringify({ symbol, stale: true, ts } satisfies StaleMarker) }));
    await this.producer.send({ acks: -1, topic: this.topics.ticks, messages });
  }

  async lastTicks(): Promise<Map<string, Tick>> {
    return readLastTicks(this.kafka, this.topics);
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}

/**
 * One fan-out instance's view of the tick log: the compacted topic read to its end, then every
 * partition of `market.ticks` from the moment it starts, through a consumer group of its own
 * (each instance needs every symbol, so instances must not share partitions).
 */
export class KafkaTickStream implements TickStream {
  private consumer: Consumer | undefined;

  private constructor(
    private readonly kafka: kafkajs.Kafka,
    private readonly logger: Logger,
    private readonly groupId: string,
    private readonly topics: TickTopics,
  ) {}

  static async connect(brokers: string[], logger: Logger, topics: TickTopics = DEFAULT_TICK_TOPICS, instanceId: string = randomUUID()): Promise<KafkaTickStream> {
    const groupId = `trading-core-fanout-${instanceId}`;
    return new KafkaTickStream(await connectWithTopics(brokers, groupId, topics), logger, groupId, topics);
  }

  latestTicks(): Promise<Tick[]> {
    return readLastTicks(this.kafka, this.topics).then((last) => [...last.values()]);
  }

  async start(onEntries: (entries: readonly TickLogEntry[]) => void): Promise<void> {
    const consumer = this.kafka.consumer({ groupId: this.groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 20 });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topic: this.topics.ticks, fromBeginning: false });
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const entries: TickLogEntry[] = [];
        for (const message of batch.messages) {
          const entry = parseEntry(message.value);
          if (entry) entries.push(entry);
          else this.logger.warn({ partition: batch.partition, offset: message.offset }, 'unreadable tick log entry skipped');
        }
        if (entries.length > 0) onEntries(entries);
      },
    });
    await joined;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    // The group was this instance's alone; leave nothing behind on the broker.
    await deleteGroup(this.kafka, this.groupId);
  }
}

async function deleteGroup(kafka: kafkajs.Kafka, groupId: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteGroups([groupId]).catch(() => undefined);
  await admin.disconnect();
}

function parseEntry(value: Buffer | null): TickLogEntry | undefined {
  if (!value) return undefined;
  try {
    const entry = JSON.parse(value.toString()) as TickLogEntry;
    return typeof entry === 'object' && entry !== null && typeof entry.symbol === 'string' ? entry : undefined;
  } catch {
    return undefined;
  }
}

/** A Kafka client whose tick topics exist (created as the ingestor would, when another consumer starts first). */
export async function connectWithTopics(brokers: string[], clientId: string, topics: TickTopics = DEFAULT_TICK_TOPICS): Promise<kafkajs.Kafka> {
  const kafka = new kafkajs.Kafka({ clientId, brokers, logLevel: kafkajs.logLevel.WARN });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, topics);
  } finally {
    await admin.disconnect();
  }
  return kafka;
}

/** Reads the compacted topic from its start to its end: the last tick per symbol. */
async function readLastTicks(kafka: kafkajs.Kafka, topics: TickTopics): Promise<Map<string, Tick>> {
  const ends = await topicOffsets(kafka, topics.last);
  const remaining = new Map(ends.filter((end) => Number(end.high) > Number(end.low)).map((end) => [end.partition, Number(end.high)]));
  const last = new Map<string, Tick>();
  if (remaining.size === 0) return last;
  const groupId = `trading-core-recovery-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topic: topics.last, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ partition, message }) => {
          const entry = parseEntry(message.value);
          if (entry && 'seq' in entry && (last.get(entry.symbol)?.seq ?? 0) < entry.seq) last.set(entry.symbol, entry);
          if (Number(message.offset) + 1 >= (remaining.get(partition) ?? 0)) remaining.delete(partition);
          if (remaining.size === 0) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  await deleteGroup(kafka, groupId);
  return last;
}

/**
 * Runs a Kafka admin call, retrying with back-off while it fails with an error Kafka's protocol
 * calls retriable — a topic created or a broker started a moment ago answers "not the leader",
 * "leader not available" or "does not host this topic-partition" while its partitions settle.
 */
export function retryingKafka<T>(call: () => Promise<T>): Promise<T> {
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
async function ensureTopics(admin: Admin, names: TickTopics): Promise<void> {
  const topics = [
    { topic: names.ticks, numPartitions: TICK_PARTITIONS, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: String(24 * 3600 * 1000) }] },
    { topic: names.last, numPartitions: TICK_PARTITIONS, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
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
