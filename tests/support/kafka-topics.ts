import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';
import { tickTopics, type TickTopics } from '../../infrastructure/market-data/kafka-tick-log.ts';

export const TEST_BROKERS = ['127.0.0.1:9092'];

/**
 * Tick topics of one test file's own (`KAFKA_TOPIC_PREFIX`), so files that run at the same time
 * on the shared broker never read each other's ticks; `remove()` deletes them afterwards.
 */
export function isolatedTickTopics(label: string): TickTopics & { readonly prefix: string; remove(): Promise<void> } {
  const prefix = `test-${label}-${randomUUID().slice(0, 8)}.`;
  const topics = tickTopics(prefix);
  return {
    ...topics,
    prefix,
    async remove() {
      const admin = new kafkajs.Kafka({ clientId: `test-${label}-cleanup`, brokers: TEST_BROKERS, logLevel: kafkajs.logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        const ours = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
        if (ours.length > 0) await admin.deleteTopics({ topics: ours });
      } finally {
        await admin.disconnect();
      }
    },
  };
}
