import { decode, encode } from '@msgpack/msgpack';

/**
 * The stock data stream's two encodings: MessagePack when the upgrade request says
 * `Content-Type: application/msgpack` (both official SDKs send it, and decode nothing else),
 * JSON otherwise. A server frame is always an array of messages; each message is encoded once
 * per window whoever receives it, and a frame is the array header and the encoded messages side
 * by side (for MessagePack, an array's encoding is exactly that).
 */
export type DataCodecName = 'json' | 'msgpack';

export interface DataCodec {
  readonly name: DataCodecName;
  /** A client frame's message; throws when it is not one of this encoding (or JSON text). */
  decode(frame: Uint8Array, isBinary: boolean): unknown;
  /** Timestamps as the encoding carries them: RFC 3339 text in JSON, the timestamp extension in MessagePack. */
  timestamp(iso: string): string | Date;
  encode(message: object): string | Uint8Array;
  frame(parts: ReadonlyArray<string | Uint8Array>): string | Uint8Array;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const decodeJson = (frame: Uint8Array): unknown => JSON.parse(utf8.decode(frame));

export const jsonCodec: DataCodec = {
  name: 'json',
  decode: decodeJson,
  timestamp: (iso) => iso,
  encode: (message) => JSON.stringify(message),
  frame: (parts) => `[${parts.join(',')}]`,
};

function arrayHeader(length: number): Uint8Array {
  if (length < 16) return Uint8Array.of(0x90 | length);
  if (length < 0x10000) return Uint8Array.of(0xdc, length >> 8, length & 0xff);
  return Uint8Array.of(0xdd, (length >>> 24) & 0xff, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff);
}

export const msgpackCodec: DataCodec = {
  name: 'msgpack',
  // A text frame from a MessagePack client is taken as JSON: nothing is lost by being lenient there.
  decode: (frame, isBinary) => (isBinary ? decode(frame) : decodeJson(frame)),
  timestamp: (iso) => new Date(iso),
  encode: (message) => encode(message),
  frame(parts) {
    const header = arrayHeader(parts.length);
    const bytes = parts as readonly Uint8Array[];
    const out = new Uint8Array(header.length + bytes.reduce((sum, part) => sum + part.length, 0));
    out.set(header, 0);
    let offset = header.length;
    for (const part of bytes) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  },
};

export const codecFor = (contentType: string | undefined): DataCodec => (contentType?.toLowerCase().startsWith('application/msgpack') ? msgpackCodec : jsonCodec);

/** A message encoded at most once per encoding, and only for an encoding someone receives. */
export class EncodedMessage {
  private json: string | undefined;
  private packed: Uint8Array | undefined;

  constructor(private readonly build: (codec: DataCodec) => object) {}

  for(codec: DataCodec): string | Uint8Array {
    if (codec.name === 'json') return (this.json ??= codec.encode(this.build(codec)) as string);
    return (this.packed ??= codec.encode(this.build(codec)) as Uint8Array);
  }
}
