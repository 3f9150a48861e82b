import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FanoutHub, type StreamConnection } from '../../infrastructure/fanout/fanout-hub.ts';
import { InProcessOrderUpdates, InProcessTickLog } from '../../infrastructure/market-data/in-process-market-data.ts';
import { createMetricsRegistry } from '../../infrastructure/observability/metrics.ts';

function recordingConnection(): StreamConnection & { sent: string[]; closedWith: number | undefined } {
  const connection = {
    sent: [] as string[],
    closedWith: undefined as number | undefined,
    send: (message: string) => (connection.sent.push(message), true),
    bufferedAmount: () => 0,
    subscribe: () => undefined,
    unsubscribe: () => undefined,
    close: (code: number) => void (connection.closedWith = code),
  };
  return connection;
}

describe('FanoutHub message budget', () => {
  afterEach(() => vi.useRealTimers());

  it('given a flood within one millisecond, then the client is told once with rate_limited and then closed with 4029', () => {
    vi.useFakeTimers({ now: new Date('2026-11-23T12:00:00.000Z') });
    const hub = new FanoutHub({
      stream: new InProcessTickLog(),
      catalog: { isListed: () => true },
      orderUpdates: new InProcessOrderUpdates(),
      verifyToken: () => undefined,
      logger: pino({ level: 'silent' }),
      metrics: createMetricsRegistry('hub-test'),
      limits: { messagesPerSecond: 10 },
    });
    const connection = recordingConnection();
    const session = hub.openAuthenticated(connection, { accountId: '00000000-0000-4000-8000-000000000001', role: 'trader' });

    for (let i = 0; i < 100 && connection.closedWith === undefined; i += 1) hub.message(session, '{"op":"ping"}');

    const messages = connection.sent.map((text) => JSON.parse(text) as { type: string; code?: string });
    expect(messages.filter((message) => message.type === 'pong')).toHaveLength(20);
    expect(messages.filter((message) => message.type === 'error').map((message) => message.code)).toEqual(['rate_limited']);
    expect(connection.closedWith).toBe(4029);
  });
});
