import { decode, encode } from '@msgpack/msgpack';
import WebSocket from 'ws';
import { closeSocket, waitUntil } from './socket-waits.ts';

export type AlpacaMessage = Record<string, unknown>;

/**
 * A raw client of the Alpaca streams for tests that must send what the SDK never would: JSON or
 * MessagePack (chosen, as the SDKs do, by the upgrade's Content-Type), every frame kept as it
 * came. Data-stream frames are arrays; `messages` has their elements in order, `frames` the arrays.
 */
export class AlpacaStreamTestClient {
  readonly frames: AlpacaMessage[][] = [];
  readonly messages: AlpacaMessage[] = [];
  closed: { code: number; reason: string } | undefined;
  private readonly socket: WebSocket;
  private readonly opened: Promise<void>;

  private constructor(
    url: string,
    private readonly msgpack: boolean,
  ) {
    this.socket = new WebSocket(url, { perMessageDeflate: false, ...(msgpack ? { headers: { 'Content-Type': 'application/msgpack' } } : {}) });
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('error', reject);
      this.socket.once('unexpected-response', (_request, response) => reject(new Error(`upgrade refused with ${response.statusCode}`)));
    });
    this.socket.on('message', (data: Buffer, isBinary) => {
      const decoded = (isBinary && msgpack ? decode(data) : JSON.parse(data.toString('utf8'))) as AlpacaMessage | AlpacaMessage[];
      const frame = Array.isArray(decoded) ? decoded : [decoded];
      this.frames.push(frame);
      this.messages.push(...frame);
    });
    this.socket.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
    this.socket.on('error', () => undefined);
  }

  static async connect(url: string, options: { msgpack?: boolean } = {}): Promise<AlpacaStreamTestClient> {
    const client = new AlpacaStreamTestClient(url, options.msgpack ?? false);
    await client.opened;
    return client;
  }

  /** An object goes out in the client's encoding (MessagePack as a binary frame); a string or bytes as they are. */
  send(message: unknown): void {
    if (typeof message === 'string' || Buffer.isBuffer(message)) return this.socket.send(message);
    this.socket.send(this.msgpack ? encode(message) : JSON.stringify(message));
  }

  /** The messages whose `T` (data stream) or `stream` (trading stream) is `kind`. */
  of(kind: string): AlpacaMessage[] {
    return this.messages.filter((message) => message.T === kind || message.stream === kind);
  }

  errors(): unknown[] {
    return this.messages.filter((message) => message.T === 'error').map((message) => message.code);
  }

  pauseReading(): void {
    this.socket.pause();
  }

  resumeReading(): void {
    this.socket.resume();
  }

  waitFor(predicate: (client: AlpacaStreamTestClient) => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    return waitUntil(() => predicate(this), timeoutMs, () => `timed out waiting for ${what}; received ${JSON.stringify(this.messages.slice(-5))} (${this.messages.length} in all), closed ${JSON.stringify(this.closed)}`);
  }

  close(): Promise<void> {
    return closeSocket(this.socket, this.closed !== undefined);
  }
}
