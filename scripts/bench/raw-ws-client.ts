import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/**
 * A minimal WebSocket client on a raw TCP socket, for load generation: at ~1M frames/s a full
 * client (`ws`) spends its time decoding and allocating every message; this one reads frame
 * headers and skips payloads, handing over a payload only when asked. It speaks just what a
 * load client needs: the opening handshake, masked text frames out, unmasked frames in, pong
 * replies, and the close frame. No extensions (it offers none), no fragmented messages.
 */

export const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** The two payload bytes at this offset are reported with every frame: in `{"type":"quotes"…` they are the type's first letters. */
const PEEK_OFFSET = 9;

/**
 * Called for every frame: opcode, payload length, the two payload bytes at offset 9 (packed as
 * `b9 << 8 | b10`, -1 where the payload is shorter) and the payload when `capture` asked for it.
 */
export type FrameListener = (opcode: number, length: number, peek: number, payload: Buffer | undefined) => void;

/** Decides, from the header alone, whether a frame's payload is wanted. Control frames always are. */
export type CapturePolicy = (opcode: number, length: number) => boolean;

/** Incremental frame parser for server-to-client frames (unmasked). */
export class FrameReader {
  /** Bytes of a header split across chunks. */
  private partial: Buffer | undefined;
  private opcode = 0;
  private length = 0;
  private remaining = -1;
  private offset = 0;
  private peek = 0;
  private capture = false;
  private parts: Buffer[] = [];

  constructor(
    private readonly wants: CapturePolicy,
    private readonly onFrame: FrameListener,
  ) {}

  push(input: Buffer): void {
    let chunk = input;
    if (this.partial) {
      chunk = Buffer.concat([this.partial, input]);
      this.partial = undefined;
    }
    let position = 0;
    while (position < chunk.length) {
      if (this.remaining < 0) {
        const header = this.readHeader(chunk, position);
        if (header === 0) {
          this.partial = chunk.subarray(position);
          return;
        }
        position += header;
        if (this.remaining === 0) this.finish();
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - position);
      if (this.offset <= PEEK_OFFSET + 1 && this.offset + take > PEEK_OFFSET) this.peekAt(chunk, position, take);
      if (this.capture) this.parts.push(chunk.subarray(position, position + take));
      this.offset += take;
      this.remaining -= take;
      position += take;
      if (this.remaining === 0) this.finish();
    }
  }

  /** Parses a header at `position`; returns its size, or 0 when the chunk ends inside it. */
  private readHeader(chunk: Buffer, position: number): number {
    const available = chunk.length - position;
    if (available < 2) return 0;
    const first = chunk[position]!;
    const second = chunk[position + 1]!;
    if (second & 0x80) throw new Error('the server sent a masked frame');
    let length = second & 0x7f;
    let size = 2;
    if (length === 126) {
      if (available < 4) return 0;
      length = chunk.readUInt16BE(position + 2);
      size = 4;
    } else if (length === 127) {
      if (available < 10) return 0;
      length = Number(chunk.readBigUInt64BE(position + 2));
      size = 10;
    }
    this.opcode = first & 0x0f;
    this.length = length;
    this.remaining = length;
    this.offset = 0;
    this.peek = -1;
    this.capture = this.opcode >= OPCODE.close || this.wants(this.opcode, length);
    return size;
  }

  private peekAt(chunk: Buffer, position: number, take: number): void {
    for (let at = Math.max(this.offset, PEEK_OFFSET); at <= PEEK_OFFSET + 1 && at < this.offset + take; at += 1) {
      const byte = chunk[position + at - this.offset]!;
      this.peek = at === PEEK_OFFSET ? byte << 8 : (this.peek & 0xff00) | byte;
    }
    if (this.length < PEEK_OFFSET + 2) this.peek = -1;
  }

  private finish(): void {
    const payload = !this.capture ? undefined : this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts);
    this.parts = [];
    this.remaining = -1;
    this.onFrame(this.opcode, this.length, this.peek, payload);
  }
}

/** One client frame: FIN set, masked as RFC 6455 requires of clients. */
export function clientFrame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const lengthBytes = length < 126 ? 0 : length < 65_536 ? 2 : 8;
  const frame = Buffer.allocUnsafe(2 + lengthBytes + 4 + length);
  frame[0] = 0x80 | opcode;
  if (lengthBytes === 0) frame[1] = 0x80 | length;
  else if (lengthBytes === 2) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  const mask = randomBytes(4);
  const start = 2 + lengthBytes;
  mask.copy(frame, start);
  for (let i = 0; i < length; i += 1) frame[start + 4 + i] = payload[i]! ^ mask[i & 3]!;
  return frame;
}

export interface RawWebSocketOptions {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly timeoutMs?: number;
  readonly capture: CapturePolicy;
  /** Every data frame (text, binary, continuation); control frames are handled here. */
  readonly onFrame: FrameListener;
  /** Once, with the close code (1006 when the connection ended without a close frame). */
  readonly onClose: (code: number, reason: string) => void;
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export class RawWebSocket {
  private closed = false;

  private constructor(
    private readonly socket: Socket,
    private readonly options: RawWebSocketOptions,
  ) {}

  /** Connects and completes the opening handshake. */
  static open(options: RawWebSocketOptions): Promise<RawWebSocket> {
    return new Promise((resolve, reject) => {
      const key = randomBytes(16).toString('base64');
      const socket = connect({ host: options.host, port: options.port });
      socket.setNoDelay(true);
      const timer = setTimeout(() => fail(new Error(`no handshake within ${options.timeoutMs ?? 10_000} ms`)), options.timeoutMs ?? 10_000);
      let head = Buffer.alloc(0);
      const fail = (error: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      const onData = (data: Buffer) => {
        head = Buffer.concat([head, data]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        socket.off('error', fail);
        clearTimeout(timer);
        const response = head.subarray(0, end).toString('latin1');
        const accept = createHash('sha1').update(key + GUID).digest('base64');
        if (!/^HTTP\/1\.1 101 /.test(response)) return fail(new Error(`handshake refused: ${response.split('\r\n')[0]}`));
        const answered = response.split('\r\n').find((line) => line.toLowerCase().startsWith('sec-websocket-accept:'));
        if (answered?.slice(answered.indexOf(':') + 1).trim() !== accept) return fail(new Error('handshake answered with a wrong Sec-WebSocket-Accept'));
        const client = new RawWebSocket(socket, options);
        client.attach(head.subarray(end + 4));
        resolve(client);
      };
      socket.on('data', onData);
      socket.on('error', fail);
      socket.once('connect', () =>
        socket.write(
          `GET ${options.path} HTTP/1.1\r\nHost: ${options.host}:${options.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        ),
      );
    });
  }

  sendText(text: string): void {
    if (!this.closed) this.socket.write(clientFrame(OPCODE.text, Buffer.from(text, 'utf8')));
  }

  /** Sends a close frame and ends the connection. */
  close(code = 1000): void {
    if (this.closed) return;
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(code);
    this.socket.end(clientFrame(OPCODE.close, payload));
    setTimeout(() => this.socket.destroy(), 1_000).unref();
  }

  private attach(rest: Buffer): void {
    const reader = new FrameReader(this.options.capture, (opcode, length, peek, payload) => {
      if (opcode === OPCODE.ping) return this.socket.write(clientFrame(OPCODE.pong, payload!));
      if (opcode === OPCODE.close) return this.ended(payload!.length >= 2 ? payload!.readUInt16BE(0) : 1005, payload!.subarray(2).toString('utf8'));
      if (opcode === OPCODE.pong) return;
      this.options.onFrame(opcode, length, peek, payload);
    });
    this.socket.on('data', (data: Buffer) => {
      try {
        reader.push(data);
      } catch (error) {
        this.ended(1002, error instanceof Error ? error.message : String(error));
      }
    });
    this.socket.on('error', () => undefined); // 'close' follows
    this.socket.on('close', () => this.ended(1006, ''));
    if (rest.length > 0) reader.push(rest);
  }

  private ended(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.options.onClose(code, reason);
  }
}
