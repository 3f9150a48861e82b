import WebSocket from 'ws';
import { closeSocket, waitUntil } from './socket-waits.ts';

export interface ReceivedQuote {
  readonly symbol: string;
  readonly seq: number;
  readonly snapshot: boolean;
  readonly ts: string;
}

export interface StreamMessage {
  readonly type: string;
  readonly [field: string]: unknown;
}

/**
 * A raw price-socket client for tests that must send what the SDK never would (garbage, floods,
 * no auth) or watch frames as they arrive: it records every message and the close.
 */
export class StreamTestClient {
  readonly received: StreamMessage[] = [];
  closed: { code: number; reason: string } | undefined;
  private readonly socket: WebSocket;
  private readonly opened: Promise<void>;

  constructor(url: string) {
    this.socket = new WebSocket(url);
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('error', reject);
    });
    this.socket.on('message', (data) => this.received.push(JSON.parse(data.toString()) as StreamMessage));
    this.socket.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
    this.socket.on('error', () => undefined);
  }

  static async connect(url: string, token?: string): Promise<StreamTestClient> {
    const client = new StreamTestClient(url);
    await client.opened;
    if (token) client.send({ op: 'auth', token });
    return client;
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' || Buffer.isBuffer(message) ? message : JSON.stringify(message));
  }

  /** Stops reading from the socket (the kernel buffers fill, then the server's). */
  pauseReading(): void {
    this.socket.pause();
  }

  resumeReading(): void {
    this.socket.resume();
  }

  /** Every quote entry and snapshot received, in order, as { symbol, seq, snapshot }. */
  quotes(): ReceivedQuote[] {
    return this.received.flatMap((message): ReceivedQuote[] => {
      if (message.type === 'snapshot') return [{ symbol: message.symbol as string, seq: message.seq as number, snapshot: true, ts: message.ts as string }];
      if (message.type === 'quotes') return (message.data as Array<{ symbol: string; seq: number; ts: string }>).map((entry) => ({ symbol: entry.symbol, seq: entry.seq, snapshot: false, ts: entry.ts }));
      return [];
    });
  }

  waitFor(predicate: (client: StreamTestClient) => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    return waitUntil(() => predicate(this), timeoutMs, () => `timed out waiting for ${what}; received ${this.received.length} messages, closed ${JSON.stringify(this.closed)}`);
  }

  close(): Promise<void> {
    return closeSocket(this.socket, this.closed !== undefined);
  }
}

/** Asserts nothing: returns, per symbol, the sequence numbers in the order a client saw them. */
export function sequencesBySymbol(quotes: ReadonlyArray<{ symbol: string; seq: number }>): Map<string, number[]> {
  const bySymbol = new Map<string, number[]>();
  for (const { symbol, seq } of quotes) bySymbol.set(symbol, [...(bySymbol.get(symbol) ?? []), seq]);
  return bySymbol;
}
