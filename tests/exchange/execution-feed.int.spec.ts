import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ExecutionFeedClient, type FeedReport } from '../../gateways/exchange/execution-feed-client.ts';
import { ExchangeSimulator } from '../../infrastructure/exchange-sim/exchange-simulator.ts';
import { createMetricsRegistry } from '../../infrastructure/observability/metrics.ts';

async function simulator(faults: Record<string, number>) {
  const exchange = new ExchangeSimulator({ seed: 11, universeSize: 10, ticksPerSecond: 0, faults, logger: pino({ level: 'silent' }), metrics: createMetricsRegistry('sim-test') });
  const url = await exchange.listen('127.0.0.1', 0);
  return { exchange, feedUrl: `${url.replace(/^http/, 'ws')}/v1/executions` };
}

function publish(exchange: ExchangeSimulator, from: number, count: number): void {
  for (let i = from; i < from + count; i += 1) {
    exchange.feed.publish({ type: 'order_status', externalOrderId: `EX-${i}`, clientOrderId: `c-${i}`, status: 'canceled' });
  }
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('execution feed over WebSocket', () => {
  it('applies every report once, in sequence, through duplicates, reordering and dropped connections', async () => {
    const { exchange, feedUrl } = await simulator({ duplicateRate: 0.2, reorderRate: 0.2, dropRate: 0.03 });
    const applied: number[] = [];
    const client = new ExecutionFeedClient({ url: feedUrl, after: 0, gapTimeoutMs: 100, apply: async (report: FeedReport) => void applied.push(report.seq) });
    try {
      client.start();
      publish(exchange, 1, 300);
      // Reports published while the client is reconnecting must arrive too.
      await new Promise((resolve) => setTimeout(resolve, 50));
      publish(exchange, 301, 200);
      await until(() => applied.length >= 500, 20_000);
      expect(applied).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    } finally {
      await client.stop();
      await exchange.close();
    }
  }, 30_000);

  it('resumes after the last report applied, not from the beginning', async () => {
    const { exchange, feedUrl } = await simulator({});
    publish(exchange, 1, 20);
    const applied: number[] = [];
    const client = new ExecutionFeedClient({ url: feedUrl, after: 15, apply: async (report) => void applied.push(report.seq) });
    try {
      client.start();
      await until(() => applied.length >= 5, 5_000);
      expect(applied).toEqual([16, 17, 18, 19, 20]);
    } finally {
      await client.stop();
      await exchange.close();
    }
  });

  it('starts again from the last applied report when applying one fails', async () => {
    const { exchange, feedUrl } = await simulator({});
    publish(exchange, 1, 10);
    const applied: number[] = [];
    let failOnce = true;
    const client = new ExecutionFeedClient({
      url: feedUrl,
      after: 0,
      apply: async (report) => {
        if (report.seq === 4 && failOnce) {
          failOnce = false;
          throw new Error('database briefly down');
        }
        applied.push(report.seq);
      },
    });
    try {
      client.start();
      await until(() => applied.length >= 10, 10_000);
      expect(applied).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    } finally {
      await client.stop();
      await exchange.close();
    }
  });
});
