import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import kafkajs from 'kafkajs';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { TEST_ADMIN_URL } from '../support/postgres-test-database.ts';

/** The services the test run started are the real ones, reachable the way the processes reach them. */
describe('the real services of the test run', () => {
  it('PostgreSQL answers on 127.0.0.1:5432', async () => {
    const client = new pg.Client({ connectionString: TEST_ADMIN_URL });
    await client.connect();
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    await client.end();
    expect(Number(rows[0]!.server_version.split('.')[0])).toBeGreaterThanOrEqual(13);
  });

  it('Redis answers on 127.0.0.1:6379 and keeps a value', async () => {
    const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    const key = `test:${randomUUID()}`;
    await redis.set(key, 'value', 'EX', 10);
    expect(await redis.get(key)).toBe('value');
    await redis.quit();
  });

  it('Kafka (KRaft, from Maven jars) takes a record with the idempotent producer and hands it to a consumer', async () => {
    const kafka = new kafkajs.Kafka({ clientId: 'services-test', brokers: ['127.0.0.1:9092'], logLevel: kafkajs.logLevel.NOTHING });
    const topic = `test-${randomUUID()}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: 'AAPL', value: 'tick-1' }] });
    const consumer = kafka.consumer({ groupId: `test-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = new Promise<string>((resolve) => {
      void consumer.run({ eachMessage: async ({ message }) => resolve(`${message.key?.toString()}=${message.value?.toString()}`) });
    });
    try {
      await expect(received).resolves.toBe('AAPL=tick-1');
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  }, 60_000);
});
