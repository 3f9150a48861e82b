/**
 * One client connection as a stream sees it, whatever the transport (uWS, or `ws` for the
 * baseline). Frames are text; the Alpaca data stream also sends bytes (binary frames).
 */
export interface StreamConnection<Frame extends string | Uint8Array = string> {
  /** Sends one frame (a string as text, bytes as binary); false when the transport dropped it. */
  send(frame: Frame): boolean;
  bufferedAmount(): number;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  close(code: number, reason: string): void;
}

/** Publishes one serialised message to every connection subscribed to a topic. */
export interface TopicPublisher {
  publish(topic: string, message: string): void;
}

/** What a client may send in one frame (api.md: 16 KiB per client message); over it, close 1009. */
export const MAX_CLIENT_FRAME_BYTES = 16 * 1024;

export interface FanoutLimits {
  /** Conflation window: at most one quote per symbol per window. */
  readonly windowMs: number;
  readonly maxSymbolsPerConnection: number;
  readonly authTimeoutMs: number;
  /** Buffered bytes above which a connection is behind: it stops getting every quote. */
  readonly slowBufferedBytes: number;
  /** Buffered bytes at which a connection that is behind is closed with 4008. */
  readonly maxBufferedBytes: number;
  /** How long a connection may stay behind before it is closed with 4008. */
  readonly maxBehindMs: number;
  /** Client messages per second a connection may send (token bucket, burst = 2 × this). */
  readonly messagesPerSecond: number;
}

export const DEFAULT_LIMITS: FanoutLimits = {
  windowMs: 100,
  maxSymbolsPerConnection: 200,
  authTimeoutMs: 5_000,
  slowBufferedBytes: 64 * 1024,
  maxBufferedBytes: 1024 * 1024,
  maxBehindMs: 5_000,
  messagesPerSecond: 50,
};
