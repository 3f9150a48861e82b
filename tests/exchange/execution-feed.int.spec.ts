import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  describe('across restarts of the exchange (sessions)', () => {
    const started = (options: { stateDir?: string; faults?: Record<string, number> } = {}) =>
      new ExchangeSimulator({ seed: 11, universeSize: 10, ticksPerSecond: 0, faults: options.faults ?? {}, ...(options.stateDir ? { stateDir: options.stateDir } : {}), logger: pino({ level: 'silent' }), metrics: createMetricsRegistry('sim-test') });

    function following(feedUrl: string) {
      const seen: string[] = [];
      const sessions: Array<[string, string | undefined, number]> = [];
      const client = new ExecutionFeedClient({
        url: feedUrl,
        after: 0,
        gapTimeoutMs: 100,
        onNewSession: async (session, previous) => void sessions.push([session, previous, seen.length]),
        apply: async (report) => void seen.push(`${report.session}:${report.seq}:${report.externalOrderId}`),
      });
      return { client, seen, sessions };
    }

    it('given a journaled exchange, a client behind when it restarts gets the rest of the old session, its restart cancels, then the new one from its start', async () => {
      const stateDir = mkdtempSync(join(tmpdir(), 'exchange-state-'));
      let exchange = started({ stateDir });
      const url = await exchange.listen('127.0.0.1', 0);
      const port = new URL(url).port;
      const feedUrl = `ws://127.0.0.1:${port}/v1/executions`;
      const { client, seen, sessions } = following(feedUrl);
      try {
        // Given: a resting order (left open by the restart) and 30 reports, 20 of them applied.
        const resting = exchange.engine.place({ clientOrderId: 'resting', symbol: 'AAPL', side: 'buy', type: 'limit', qty: 1, limitPriceCents: 1, timeInForce: 'gtc' }).order;
        publish(exchange, 1, 20);
        client.start();
        await until(() => seen.length >= 20, 5_000);
        await client.stop();
        publish(exchange, 21, 10);
        // A drill's report (as POST /admin/reports sends): on the feed, but no fill of the book.
        exchange.feed.publish({ type: 'execution', executionId: 'drill-1', externalOrderId: resting.externalOrderId, clientOrderId: 'resting', symbol: 'AAPL', side: 'buy', qty: 1, priceCents: 1, leavesQty: 0 }, true);
        const first = exchange.session;
        await exchange.close();
        // When: it starts again from its journal, a new session, and the client comes back.
        exchange = started({ stateDir, faults: { dropRate: 0.05, reorderRate: 0.2, duplicateRate: 0.2 } });
        await exchange.listen('127.0.0.1', Number(port));
        expect(exchange.engine.find('resting')).toMatchObject({ status: 'canceled', rejectReason: 'exchange_restart', externalOrderId: resting.externalOrderId, filledQty: 0 });
        publish(exchange, 101, 5);
        const resumed = new ExecutionFeedClient({
          url: feedUrl,
          after: 20,
          session: first,
          gapTimeoutMs: 100,
          onNewSession: async (session, previous) => void sessions.push([session, previous, seen.length]),
          apply: async (report) => void seen.push(`${report.session}:${report.seq}:${report.externalOrderId}`),
        });
        resumed.start();
        await until(() => seen.length >= 37, 10_000);
        await resumed.stop();
        // Then: every report once, in order: the old session's rest and its restart cancel, then the new session.
        expect(seen.slice(20)).toEqual([
          ...Array.from({ length: 10 }, (_, i) => `${first}:${21 + i}:EX-${21 + i}`),
          `${first}:31:${resting.externalOrderId}`,
          `${first}:32:${resting.externalOrderId}`,
          ...Array.from({ length: 5 }, (_, i) => `${exchange.session}:${i + 1}:EX-${101 + i}`),
        ]);
        // The new session was taken up only after the last report of the old one.
        expect(sessions.at(-1)).toEqual([exchange.session, first, 32]);
      } finally {
        await client.stop();
        await exchange.close();
        rmSync(stateDir, { recursive: true, force: true });
      }
    }, 30_000);

    it('given an exchange that forgot everything, a client takes up its new session at once, from its start', async () => {
      let exchange = started();
      const url = await exchange.listen('127.0.0.1', 0);
      const port = new URL(url).port;
      const { client, seen, sessions } = following(`ws://127.0.0.1:${port}/v1/executions`);
      try {
        publish(exchange, 1, 5);
        client.start();
        await until(() => seen.length >= 5, 5_000);
        const first = exchange.session;
        await exchange.close();
        exchange = started();
        await exchange.listen('127.0.0.1', Number(port));
        publish(exchange, 11, 3);
        await until(() => seen.length >= 8, 10_000);
        expect(seen.slice(5)).toEqual([`${exchange.session}:1:EX-11`, `${exchange.session}:2:EX-12`, `${exchange.session}:3:EX-13`]);
        expect(sessions).toEqual([[first, undefined, 0], [exchange.session, first, 5]]);
      } finally {
        await client.stop();
        await exchange.close();
      }
    }, 30_000);
  });
});
