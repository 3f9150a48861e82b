import WebSocket from 'ws';
import { feedMessage, type FeedHello, type FeedReport } from './wire/feed-report.ts';

export type { FeedReport };

export interface ExecutionFeedClientOptions {
  /** ws:// URL of the feed (`/v1/executions`). */
  readonly url: string;
  /** The last sequence number already applied (from the worker's checkpoint). */
  readonly after: number;
  /** The exchange session `after` counts in; unknown (a first start), `after` is taken as the current one's. */
  readonly session?: string;
  /**
   * The exchange began a new session (it restarted): its sequence numbers start again, and the
   * orders of the old one are gone from it. Awaited before any report of the new session.
   */
  readonly onNewSession?: (session: string, previous: string | undefined) => Promise<void>;
  /** Applies one report; awaited before the next, in sequence order. */
  readonly apply: (report: FeedReport) => Promise<void>;
  readonly onError?: (error: unknown) => void;
  /** How long a gap may stay open before reconnecting from the last applied report. */
  readonly gapTimeoutMs?: number;
}

/**
 * The execution-feed client: applies reports strictly in sequence order, drops what it already
 * applied (duplicates), holds back what arrives early (reordering), and after any disconnect or
 * a gap that does not close, reconnects asking for everything after the last report it applied.
 */
/** One connection's view: whether its first hello came, and whether it was given up on. */
interface Connection {
  readonly socket: WebSocket;
  greeted: boolean;
  abandoned: boolean;
}

export class ExecutionFeedClient {
  private applied: number;
  private session: string | undefined;
  /** How many reports the session being applied has, as its latest hello said. */
  private sessionEnd = 0;
  private readonly early = new Map<number, FeedReport>();
  private socket: WebSocket | undefined;
  private stopped = false;
  private chain: Promise<void> = Promise.resolve();
  private gapTimer: NodeJS.Timeout | undefined;
  private reconnects = 0;

  constructor(private readonly options: ExecutionFeedClientOptions) {
    this.applied = options.after;
    this.session = options.session;
  }

  get lastApplied(): number {
    return this.applied;
  }

  /** The session `lastApplied` counts in. */
  get currentSession(): string | undefined {
    return this.session;
  }

  start(): void {
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.gapTimer);
    this.socket?.terminate();
    await this.chain.catch(() => undefined);
  }

  private connect(): void {
    if (this.stopped) return;
    const session = this.session === undefined ? '' : `&session=${encodeURIComponent(this.session)}`;
    const socket = new WebSocket(`${this.options.url}?since=${this.applied}${session}`);
    this.socket = socket;
    const connection: Connection = { socket, greeted: false, abandoned: false };
    socket.on('open', () => {
      this.reconnects = 0;
    });
    socket.on('message', (data) => {
      let parsed: FeedHello | FeedReport;
      try {
        parsed = feedMessage.parse(JSON.parse(data.toString()));
      } catch (error) {
        this.options.onError?.(error);
        return;
      }
      const message = parsed;
      this.chain = this.chain.then(() => (connection.abandoned ? undefined : message.type === 'hello' ? this.greet(message, connection) : this.receive(message))).catch((error: unknown) => {
        // Applying failed: start again from the last applied report.
        this.options.onError?.(error);
        this.socket?.terminate();
      });
    });
    const retry = (): void => {
      if (this.stopped || this.socket !== socket) return;
      this.socket = undefined;
      this.early.clear();
      const delay = Math.random() * Math.min(5_000, 100 * 2 ** this.reconnects++);
      setTimeout(() => void this.chain.finally(() => this.connect()), delay).unref();
    };
    socket.on('close', retry);
    socket.on('error', (error) => {
      this.options.onError?.(error);
      socket.terminate();
    });
  }

  /**
   * A session begins on this connection. Ours again: it says how far ours goes. Another as the
   * connection's first: the exchange does not know ours (it forgot it), so what we missed of it is
   * gone. Another after ours: the exchange sent all of ours first, so a later session is taken up
   * only once every report of ours is applied — else one was lost on the way, and we ask again.
   */
  private async greet(hello: FeedHello, connection: Connection): Promise<void> {
    const first = !connection.greeted;
    connection.greeted = true;
    if (hello.session === this.session) {
      this.sessionEnd = hello.lastSeq;
      return;
    }
    const previous = this.session;
    if (previous !== undefined && !first && this.applied < this.sessionEnd) {
      connection.abandoned = true;
      connection.socket.terminate();
      return;
    }
    // Without a session of our own, `after` was taken as a place in this one.
    if (previous !== undefined) {
      this.applied = 0;
      this.early.clear();
    }
    await this.options.onNewSession?.(hello.session, previous);
    this.session = hello.session;
    this.sessionEnd = hello.lastSeq;
  }

  private async receive(incoming: FeedReport): Promise<void> {
    // A report of another session (one that came late, out of order) is sent again if it matters.
    if (incoming.session !== this.session || incoming.seq <= this.applied) return;
    this.early.set(incoming.seq, incoming);
    for (let next = this.early.get(this.applied + 1); next; next = this.early.get(this.applied + 1)) {
      await this.options.apply(next);
      this.early.delete(next.seq);
      this.applied = next.seq;
    }
    clearTimeout(this.gapTimer);
    if (this.early.size > 0) {
      this.gapTimer = setTimeout(() => this.socket?.terminate(), this.options.gapTimeoutMs ?? 1_000);
      this.gapTimer.unref();
    }
  }
}
