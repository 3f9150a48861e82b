// Exits 0 when a Kafka broker at the given address answers a metadata request.
import kafkajs from 'kafkajs';

const broker = process.argv[2] ?? '127.0.0.1:9092';
const kafka = new kafkajs.Kafka({
  clientId: 'trading-core-ready-check',
  brokers: [broker],
  connectionTimeout: 1_000,
  requestTimeout: 2_000,
  retry: { retries: 0 },
  logLevel: kafkajs.logLevel.NOTHING,
});
const admin = kafka.admin();
try {
  await admin.connect();
  const cluster = await admin.describeCluster();
  if (cluster.brokers.length === 0) throw new Error('no brokers');
  await admin.disconnect();
  process.exit(0);
} catch {
  process.exit(1);
}
