import type { Consumer, EachBatchPayload } from 'kafkajs';
import type { CandleStore, OffsetTick } from '../../../application/market/candles.ts';
import type { Logger } from '../../logging/logger.ts';
import { connectWithTopics, DEFAULT_TICK_TOPICS, topicOffsets, type TickTopics } from '../kafka-tick-log.ts';
import type { CandleMetrics } from './candle-metrics.ts';
import { decodeTickMessage } from './tick-codec.ts';

export const CANDLES_GROUP_ID = 'trading-core-candles';

export interface KafkaCandleConsumerOptions {
  readonly brokers: readonly string[];
  readonly store: CandleStore;
  readonly logger: Logger;
  readonly metrics?: CandleMetrics;
  /** The consumer group (every candles instance shares it, so each partition has one reader). */
  readonly groupId?: string;
  /**
   * Where a partition without a checkpoint starts: the oldest tick Kafka still keeps (a new
   * deployment builds candles from the retained history), or the end of the log at start-up.
   */
  readonly startWithoutCheckpoint?: 'earliest' | 'latest';
  /** The tick topics (KAFKA_TOPIC_PREFIX); the default names when absent. */
  readonly topics?: TickTopics;
}

/**
 * The `candles` consumer of `market.ticks`: each partition's batch is folded into candles in one
 * PostgreSQL transaction together with the partition's checkpoint (the last offset applied).
 * PostgreSQL's checkpoint is the truth: at start, and whenever the group hands this instance a
 * partition, it seeks the partition to the checkpoint + 1; Kafka's committed offset only saves
 * work. A batch Kafka delivers again (a crash before its commit, a rebalance) is skipped by the
 * store up to the checkpoint, so nothing is ever counted twice.
 */
export class KafkaCandleConsumer {
  private consumer: Consumer | undefined;
  /** The next offset to read per partition, as far as this instance knows (never ahead of PostgreSQL). */
  private readonly resumeAt = new Map<number, bigint>();
  private startOffsets = new Map<number, bigint>();
  private crashed = false;

  constructor(private readonly options: KafkaCandleConsumerOptions) {}

  async start(): Promise<void> {
    const { brokers, store, logger } = this.options;
    const groupId = this.options.groupId ?? CANDLES_GROUP_ID;
    const topics = this.options.topics ?? DEFAULT_TICK_TOPICS;
    const ticksTopic = topics.ticks;
    const kafka = await connectWithTopics([...brokers], groupId, topics);
    for (const [partition, offset] of await store.checkpoints(ticksTopic)) this.resumeAt.set(partition, offset + 1n);
    const ends = await topicOffsets(kafka, ticksTopic);
    const latest = this.options.startWithoutCheckpoint === 'latest';
    this.startOffsets = new Map(ends.map((end) => [end.partition, BigInt(latest ? end.high : end.low)]));

    const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 250, allowAutoTopicCreation: false });
    this.consumer = consumer;
    const joined = new Promise<void>((resolve) => {
      consumer.on(consumer.events.GROUP_JOIN, (event) => {
        // Runs before the first fetch of the new assignment (kafkajs emits it synchronously).
        const partitions = event.payload.memberAssignment[ticksTopic] ?? [];
        for (const partition of partitions) {
          const offset = this.resumeAt.get(partition) ?? this.startOffsets.get(partition) ?? 0n;
          consumer.seek({ topic: ticksTopic, partition, offset: offset.toString() });
        }
        logger.info({ groupId, partitions }, 'candles consumer assigned partitions');
        resolve();
      });
    });
    consumer.on(consumer.events.CRASH, (event) => {
      logger.error({ err: event.payload.error, restart: event.payload.restart }, 'candles consumer crashed');
      if (!event.payload.restart) this.crashed = true;
    });
    await consumer.connect();
    await consumer.subscribe({ topic: ticksTopic, fromBeginning: !latest });
    await consumer.run({ autoCommit: true, eachBatchAutoResolve: false, eachBatch: (payload) => this.applyBatch(payload) });
    await joined;
  }

  /** False once the consumer has crashed for good (readiness). */
  isConsuming(): boolean {
    return this.consumer !== undefined && !this.crashed;
  }

  /** Finishes the batch in flight, then leaves the group (its partitions go to other instances). */
  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    this.consumer = undefined;
  }

  private async applyBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const last = batch.messages[batch.messages.length - 1];
    if (!last || !isRunning() || isStale()) return;
    const ticks: OffsetTick[] = [];
    for (const message of batch.messages) {
      const tick = decodeTickMessage(message.value);
      if (tick) ticks.push({ offset: BigInt(message.offset), tick });
    }
    const lastOffset = BigInt(last.offset);
    const outcome = await this.options.store.applyPartitionBatch({ log: batch.topic, partition: batch.partition, lastOffset, ticks });
    if (lastOffset + 1n > (this.resumeAt.get(batch.partition) ?? -1n)) this.resumeAt.set(batch.partition, lastOffset + 1n);
    resolveOffset(last.offset);
    await heartbeat();

    const metrics = this.options.metrics;
    metrics?.ticksApplied.inc(outcome.applied);
    metrics?.ticksRedelivered.inc(outcome.redelivered);
    metrics?.entriesSkipped.inc(batch.messages.length - ticks.length);
    const newest = ticks[ticks.length - 1];
    if (newest && outcome.applied > 0) metrics?.lagSeconds.set(Math.max(0, (Date.now() - Date.parse(newest.tick.ts)) / 1000));
    if (outcome.redelivered > 0) {
      this.options.logger.info({ partition: batch.partition, redelivered: outcome.redelivered, lastOffset: last.offset }, 'redelivered ticks skipped (already in candles)');
    }
  }
}
