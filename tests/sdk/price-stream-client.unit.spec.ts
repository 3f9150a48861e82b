import { afterEach, describe, expect, it } from 'vitest';
import NodeWebSocket, { WebSocketServer, type WebSocket } from 'ws';
import { PriceStreamClient, type PriceStreamClientOptions, type Quote, type WebSocketLike } from 'trading-core/sdk';

type Received = Record<string, unknown> & { op: string };

/** A stand-in price socket in this process: it records what each connection sends and answers pings. */
class FakeStream {
  readonly connections: Array<{ socket: WebSocket; received: Received[] }> = [];
  answerPings = true;
  private constructor(private readonly server: WebSocketServer) {
    server.on('connection', (socket) => {
      const connection = { socket, received: [] as Received[] };
      this.connections.push(connection);
      socket.on('message', (data) => {
        const message = JSON.parse(data.toString()) as Received;
        connection.received.push(message);
        if (message.op === 'ping' && this.answerPings) socket.send('{"type":"pong"}');
      });
    });
  }

  static start(): Promise<FakeStream> {
    return new Promise((resolve) => {
      const server: WebSocketServer = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/v1/stream' }, () => resolve(new FakeStream(server)));
    });
  }

  get url(): string {
    const address = this.server.address();
    return `ws://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/v1/stream`;
  }

  last(): { socket: WebSocket; received: Received[] } {
    return this.connections.at(-1)!;
  }

  send(message: unknown): void {
    this.last().socket.send(JSON.stringify(message));
  }

  close(): Promise<void> {
    for (const { socket } of this.connections) socket.terminate();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * A socket with only the browser's WebSocket API (no `terminate`): what the client gets from a
 * browser's global WebSocket. It records which sockets were constructed.
 */
class BrowserOnlySocket implements WebSocketLike {
  static readonly opened: string[] = [];
  private readonly inner: NodeWebSocket;
  constructor(url: string) {
    BrowserOnlySocket.opened.push(url);
    this.inner = new NodeWebSocket(url);
  }
  get readyState(): number {
    return this.inner.readyState;
  }
  send(data: string): void {
    this.inner.send(data);
  }
  close(code?: number, reason?: string): void {
    this.inner.close(code, reason);
  }
  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: never) => void): void {
    this.inner.addEventListener(type, listener as () => void);
  }
}

const quote = (symbol: string, seq: number) => ({ symbol, seq, priceCents: 100, bidCents: 99, askCents: 101, volume: 1, changePct: 0, ts: '2026-01-02T14:30:00.000Z' });

async function until(condition: () => boolean, what: string, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('price stream client against a stand-in server', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function setUp(count = 1, options: Partial<PriceStreamClientOptions> = {}) {
    const servers = await Promise.all(Array.from({ length: count }, () => FakeStream.start()));
    for (const server of servers) cleanup.push(() => server.close());
    const client = new PriceStreamClient({ urls: servers.map((server) => server.url), token: 'token-1', backoff: { initialMs: 10, maxMs: 50 }, random: () => 0.5, ...options });
    cleanup.push(() => client.close());
    const quotes: Quote[] = [];
    client.on('quote', (entry) => quotes.push(entry));
    return { servers, client, quotes };
  }

  it('given subscriptions made before connecting, when it connects, then it sends auth first, then one subscribe, and is connected once the server answers', async () => {
    const { servers, client } = await setUp();
    client.subscribe(['AAPL', 'TSLA']);
    await client.connect();
    expect(client.isConnected).toBe(true);
    expect(servers[0]!.last().received.slice(0, 3)).toEqual([{ op: 'auth', token: 'token-1' }, { op: 'subscribe', symbols: ['AAPL', 'TSLA'] }, { op: 'ping' }]);
  });

  it('given quotes and snapshots, when a seq repeats or goes back, then it is dropped and counted, and snapshots are flagged', async () => {
    const { servers, client, quotes } = await setUp();
    client.subscribe(['AAPL', 'TSLA']);
    await client.connect();
    servers[0]!.send({ type: 'snapshot', ...quote('AAPL', 5) });
    servers[0]!.send({ type: 'quotes', data: [quote('AAPL', 6), quote('TSLA', 1)] });
    servers[0]!.send({ type: 'quotes', data: [quote('AAPL', 6), quote('AAPL', 4), quote('TSLA', 2)] });
    servers[0]!.send({ type: 'snapshot', ...quote('AAPL', 6) });
    await until(() => quotes.length === 4 && client.dropped === 3, 'the quotes');
    expect(quotes.map(({ symbol, seq, snapshot }) => [symbol, seq, snapshot])).toEqual([
      ['AAPL', 5, true],
      ['AAPL', 6, false],
      ['TSLA', 1, false],
      ['TSLA', 2, false],
    ]);
    expect(client.lastSeq('AAPL')).toBe(6);
  });

  it('given a connection closed with 4008, when it reconnects, then it goes to the next url and resubscribes everything with since = the last seqs, then order updates', async () => {
    const { servers, client, quotes } = await setUp(2);
    const reconnecting: Array<{ attempt: number; delayMs: number; url: string }> = [];
    client.on('reconnecting', (event) => reconnecting.push(event));
    client.subscribe(['AAPL', 'TSLA', 'MSFT']);
    client.subscribeOrders();
    await client.connect();
    servers[0]!.send({ type: 'quotes', data: [quote('AAPL', 40), quote('TSLA', 7)] });
    await until(() => quotes.length === 2, 'the first quotes');
    const disconnected = client.once('disconnected');
    const connected = client.once('connected');
    servers[0]!.last().socket.close(4008, 'too slow');
    expect(await disconnected).toMatchObject({ code: 4008, reason: 'too slow', willReconnect: true });
    await connected;
    expect(reconnecting).toEqual([{ attempt: 1, delayMs: 5, url: servers[1]!.url }]);
    expect(servers[1]!.last().received.slice(0, 3)).toEqual([
      { op: 'auth', token: 'token-1' },
      { op: 'subscribe', symbols: ['AAPL', 'TSLA', 'MSFT'], since: { AAPL: 40, TSLA: 7 } },
      { op: 'subscribe_orders' },
    ]);
    // The other instance replays what the first already sent: only newer entries get through.
    servers[1]!.send({ type: 'snapshot', ...quote('AAPL', 40) });
    servers[1]!.send({ type: 'quotes', data: [quote('AAPL', 41)] });
    await until(() => quotes.length === 3, 'the quote after the move');
    expect(quotes[2]).toMatchObject({ symbol: 'AAPL', seq: 41 });
    expect(client.dropped).toBe(1);
  });

  it('given a server that keeps dropping the connection, when it reconnects, then the delay ceiling doubles each attempt up to the maximum', async () => {
    const { servers, client } = await setUp(1, { random: () => 0.999 });
    const delays: number[] = [];
    client.on('reconnecting', ({ delayMs }) => delays.push(delayMs));
    await client.connect();
    for (let round = 0; round < 4; round += 1) {
      const connected = client.once('connected');
      servers[0]!.last().socket.terminate();
      await connected;
    }
    expect(delays).toEqual([9, 19, 39, 49]);
  });

  it('given a token the server refuses, when it closes with 4001, then the client reports unauthorized and stops', async () => {
    const { servers, client } = await setUp();
    const errors: Array<{ code: string }> = [];
    client.on('error', (error) => errors.push(error));
    servers[0]!.answerPings = false;
    const connecting = client.connect();
    await until(() => servers[0]!.connections.length === 1 && servers[0]!.last().received.length > 0, 'the auth');
    servers[0]!.last().socket.close(4001, 'bad token');
    await expect(connecting).rejects.toThrow(/4001/);
    expect(errors).toEqual([{ code: 'unauthorized', message: 'bad token' }]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(servers[0]!.connections).toHaveLength(1);
  });

  it.each([
    ['a ws socket', {}],
    ['a socket with only the browser API (no terminate: given up at once)', { WebSocket: BrowserOnlySocket }],
  ])('given %s whose server stops answering, when a ping goes unanswered, then the connection is dropped (1006) and made again', async (_kind, implementation) => {
    const { servers, client } = await setUp(1, { ...implementation, pingIntervalMs: 60, pongTimeoutMs: 40 });
    await client.connect();
    servers[0]!.answerPings = false;
    const disconnected = await client.once('disconnected');
    expect(disconnected).toMatchObject({ code: 1006, willReconnect: true });
    expect(disconnected.reason).toMatch(/no answer to a ping/);
    servers[0]!.answerPings = true;
    await until(() => client.isConnected, 'the new connection');
    expect(servers[0]!.connections).toHaveLength(2);
  });

  it('given order updates, stale notices and server errors, when they arrive, then each has its event', async () => {
    const { servers, client } = await setUp();
    client.subscribe(['AAPL']);
    client.subscribeOrders();
    await client.connect();
    const order = client.once('order');
    const stale = client.once('stale');
    const error = client.once('error');
    servers[0]!.send({ type: 'order', order: { id: 'o-1', status: 'filled' } });
    servers[0]!.send({ type: 'stale', symbols: ['AAPL'] });
    servers[0]!.send({ type: 'error', code: 'unknown_symbol', message: 'not listed: XYZ' });
    expect(await order).toMatchObject({ id: 'o-1', status: 'filled' });
    expect(await stale).toEqual({ symbols: ['AAPL'] });
    expect(await error).toEqual({ code: 'unknown_symbol', message: 'not listed: XYZ' });
  });

  it('given an unsubscribe, when quotes of that symbol still arrive, then they are not delivered', async () => {
    const { servers, client, quotes } = await setUp();
    client.subscribe(['AAPL', 'TSLA']);
    await client.connect();
    client.unsubscribe(['TSLA']);
    await until(() => servers[0]!.last().received.some((message) => message.op === 'unsubscribe'), 'the unsubscribe');
    servers[0]!.send({ type: 'quotes', data: [quote('TSLA', 1), quote('AAPL', 1)] });
    await until(() => quotes.length === 1, 'the AAPL quote');
    expect(quotes[0]!.symbol).toBe('AAPL');
  });

  it('given a token provider, when the client reconnects, then it asks for a fresh token each time', async () => {
    let issued = 0;
    const { servers, client } = await setUp(1, { token: async () => `token-${(issued += 1)}` });
    await client.connect();
    const connected = client.once('connected');
    servers[0]!.last().socket.terminate();
    await connected;
    expect(servers[0]!.connections.map(({ received }) => received[0])).toEqual([
      { op: 'auth', token: 'token-1' },
      { op: 'auth', token: 'token-2' },
    ]);
  });

  it('given a closed client, when the server goes away, then nothing reconnects', async () => {
    const { servers, client } = await setUp();
    await client.connect();
    const reconnecting: unknown[] = [];
    client.on('reconnecting', (event) => reconnecting.push(event));
    await client.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(reconnecting).toEqual([]);
    expect(servers[0]!.connections).toHaveLength(1);
    await expect(client.connect()).rejects.toThrow(/closed/);
  });

  it('given a WebSocket implementation with only the browser API, when quotes arrive, then it uses it and delivers them', async () => {
    BrowserOnlySocket.opened.length = 0;
    const { servers, client, quotes } = await setUp(1, { WebSocket: BrowserOnlySocket });
    client.subscribe(['AAPL']);
    await client.connect();
    servers[0]!.send({ type: 'quotes', data: [quote('AAPL', 1), quote('AAPL', 2)] });
    await until(() => quotes.length === 2, 'the quotes');
    expect(BrowserOnlySocket.opened).toEqual([servers[0]!.url]);
    expect(servers[0]!.last().received[0]).toEqual({ op: 'auth', token: 'token-1' });
  });
});
