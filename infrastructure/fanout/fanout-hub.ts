import { Counter, Gauge, type Registry } from 'prom-client';
import { ConflationWindow } from '../../application/market/conflation-window.ts';
import { quoteOf, type OrderUpdates, type SymbolCatalog, type TickStream } from '../../application/market/market-data.ts';
import type { Principal } from '../http/authentication.ts';
import type { Logger } from '../logging/logger.ts';
import { CLOSE, clientMessage, messages, quoteEntry, type StreamErrorCode } from './stream-protocol.ts';

/** One client connection as the hub sees it, whatever the transport (uWS, or `ws` for the baseline). */
export interface StreamConnection {
  /** Sends one text frame; false when the transport dropped it. */
  send(message: string): boolean;
  bufferedAmount(): number;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  close(code: number, reason: string): void;
}

/** Publishes one serialised message to every connection subscribed to a topic. */
export interface TopicPublisher {
  publish(topic: string, message: string): void;
}

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

/** A connection that fell behind: unsubscribed from its quotes until it drains. */
interface Behind {
  readonly since: number;
  /** The last sequence it was sent (or had queued) per symbol when it fell behind. */
  readonly sent: Map<string, number>;
}

export interface Session {
  readonly connection: StreamConnection;
  principal: Principal | undefined;
  authTimer: NodeJS.Timeout | undefined;
  readonly symbols: Set<string>;
  orders: boolean;
  behind: Behind | undefined;
  allowance: number;
  /** The budget ran out and the client was told; reset by the next message it may send. */
  limited: boolean;
  lastMessageAt: number;
  closed: boolean;
}

export interface FanoutHubOptions {
  readonly stream: TickStream;
  readonly catalog: Pick<SymbolCatalog, 'isListed'>;
  readonly orderUpdates: OrderUpdates;
  /** The principal a token names, or undefined when it is not ours, expired or malformed. */
  readonly verifyToken: (token: string) => Principal | undefined;
  readonly logger: Logger;
  readonly metrics: Registry;
  readonly limits?: Partial<FanoutLimits>;
}

const quoteTopic = (symbol: string) => `q:${symbol}`;
const orderTopic = (accountId: string) => `o:${accountId}`;

/**
 * The fan-out's protocol and state, shared by every transport: sessions and their subscriptions,
 * the latest quote per symbol (serialised once), conflation per window, resume with `since`,
 * stale notices, slow consumers, and live order updates (one upstream subscription per account
 * while any of its sockets asks). The transport only moves frames.
 */
export class FanoutHub {
  readonly limits: FanoutLimits;
  private publisher: TopicPublisher | undefined;
  private readonly window = new ConflationWindow();
  /** The latest quote per symbol: its sequence and its serialised entry. */
  private readonly latest = new Map<string, { seq: number; entry: string }>();
  /** Connections that resumed ahead of this instance: they get a symbol once it passes their floor. */
  private readonly floors = new Map<string, Map<Session, number>>();
  private readonly sessions = new Set<Session>();
  private readonly orderListeners = new Map<string, { sessions: number; stop: Promise<() => Promise<void>> }>();
  private timer: NodeJS.Timeout | undefined;
  private readonly metrics;

  constructor(private readonly options: FanoutHubOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    const registers = [options.metrics];
    this.metrics = {
      connections: new Gauge({ name: 'fanout_connections', help: 'Open price-socket connections', registers }),
      published: new Counter({ name: 'fanout_quotes_published_total', help: 'Conflated quotes published (once per symbol per window)', registers }),
      slowClosed: new Counter({ name: 'fanout_slow_closed_total', help: 'Connections closed with 4008 for staying behind', registers }),
      fellBehind: new Counter({ name: 'fanout_fell_behind_total', help: 'Times a connection fell behind and was conflated to latest', registers }),
      behind: new Gauge({ name: 'fanout_behind_connections', help: 'Connections conflated to latest because they are behind', registers }),
      maxBuffered: new Gauge({ name: 'fanout_max_buffered_bytes', help: 'Largest socket send buffer at the end of the last window', registers }),
      rejected: new Counter({ name: 'fanout_client_errors_total', help: 'Client messages answered with an error', labelNames: ['code'], registers }),
    };
  }

  /** Warms the latest quotes from the compacted log, then follows the live log. */
  async start(publisher: TopicPublisher): Promise<void> {
    this.publisher = publisher;
    const warm = await this.options.stream.latestTicks();
    this.window.warm(warm);
    for (const tick of warm) this.latest.set(tick.symbol, { seq: tick.seq, entry: quoteEntry(quoteOf(tick)) });
    await this.options.stream.start((entries) => this.window.add(entries));
    this.timer = setInterval(() => this.flush(), this.limits.windowMs);
    this.options.logger.info({ symbols: warm.length, windowMs: this.limits.windowMs }, 'fan-out warmed from market.last and following market.ticks');
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.options.stream.stop();
    for (const session of [...this.sessions]) session.connection.close(CLOSE.goingAway, 'server shutting down');
    for (const listener of this.orderListeners.values()) await (await listener.stop)();
    this.orderListeners.clear();
  }

  get connectionCount(): number {
    return this.sessions.size;
  }

  // ---- transport events -------------------------------------------------------------------

  open(connection: StreamConnection): Session {
    const session: Session = { connection, principal: undefined, authTimer: undefined, symbols: new Set(), orders: false, behind: undefined, allowance: this.limits.messagesPerSecond * 2, limited: false, lastMessageAt: Date.now(), closed: false };
    session.authTimer = setTimeout(() => this.close(session, CLOSE.unauthorized, 'auth must be the first message, within 5 s'), this.limits.authTimeoutMs);
    this.sessions.add(session);
    this.metrics.connections.set(this.sessions.size);
    return session;
  }

  /** A connection authenticated by its transport (SSE: bearer header or ticket). */
  openAuthenticated(connection: StreamConnection, principal: Principal): Session {
    const session = this.open(connection);
    clearTimeout(session.authTimer);
    session.principal = principal;
    return session;
  }

  /** One client frame: its text, or undefined for a binary frame. */
  message(session: Session, text: string | undefined): void {
    if (session.closed || !this.withinRate(session)) return;
    if (text === undefined) return this.reject(session, 'invalid_message', 'binary frames are not part of the protocol; send JSON text');
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return this.reject(session, 'invalid_message', 'the message is not JSON');
    }
    const parsed = clientMessage.safeParse(raw);
    if (!session.principal) {
      if (!parsed.success || parsed.data.op !== 'auth') return this.close(session, CLOSE.unauthorized, 'auth must be the first message');
      const principal = this.options.verifyToken(parsed.data.token);
      if (!principal) return this.close(session, CLOSE.unauthorized, 'the token is malformed, expired or not signed by us');
      session.principal = principal;
      clearTimeout(session.authTimer);
      return;
    }
    if (!parsed.success) return this.reject(session, 'invalid_message', `not a message of the protocol: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'message'}: ${issue.message}`).join('; ')}`);
    const command = parsed.data;
    switch (command.op) {
      case 'auth':
        return this.reject(session, 'invalid_message', 'already authenticated');
      case 'ping':
        session.connection.send(messages.pong);
        return;
      case 'subscribe':
        return this.subscribe(session, command.symbols, command.since ?? {});
      case 'unsubscribe':
        return this.unsubscribe(session, command.symbols);
      case 'subscribe_orders':
        return this.subscribeOrders(session);
    }
  }

  /** The transport says buffered data went out: a connection that was behind may catch up. */
  drained(session: Session): void {
    if (session.behind && session.connection.bufferedAmount() <= this.limits.slowBufferedBytes / 4) this.catchUp(session);
  }

  closed(session: Session): void {
    if (session.closed && !this.sessions.has(session)) return;
    session.closed = true;
    clearTimeout(session.authTimer);
    this.sessions.delete(session);
    this.metrics.connections.set(this.sessions.size);
    for (const symbol of session.symbols) this.floors.get(symbol)?.delete(session);
    if (session.orders && session.principal) this.releaseOrders(session.principal.accountId);
  }

  // ---- commands ---------------------------------------------------------------------------

  private subscribe(session: Session, symbols: readonly string[], since: Readonly<Record<string, number>>): void {
    const unknown = symbols.filter((symbol) => !this.options.catalog.isListed(symbol));
    const wanted = [...new Set(symbols.filter((symbol) => this.options.catalog.isListed(symbol) && !session.symbols.has(symbol)))];
    if (session.symbols.size + wanted.length > this.limits.maxSymbolsPerConnection) {
      return this.reject(session, 'too_many_symbols', `at most ${this.limits.maxSymbolsPerConnection} symbols per connection; this one has ${session.symbols.size} and asked for ${wanted.length} more`);
    }
    const snapshots: string[] = [];
    for (const symbol of wanted) {
      session.symbols.add(symbol);
      const latest = this.latest.get(symbol);
      const seen = since[symbol];
      if (seen !== undefined && (latest === undefined || seen >= latest.seq)) {
        // The client has seen this far (maybe on another instance that is ahead): wait until we pass it.
        const waiting = this.floors.get(symbol) ?? new Map<Session, number>();
        waiting.set(session, seen);
        this.floors.set(symbol, waiting);
        continue;
      }
      if (latest) snapshots.push(messages.snapshot(latest.entry));
      if (!session.behind) session.connection.subscribe(quoteTopic(symbol));
    }
    for (const snapshot of snapshots) session.connection.send(snapshot);
    const stale = wanted.filter((symbol) => this.window.isStale(symbol));
    if (stale.length > 0) session.connection.send(messages.stale(stale));
    if (unknown.length > 0) this.reject(session, 'unknown_symbol', `not listed: ${unknown.slice(0, 20).join(', ')}${unknown.length > 20 ? ', …' : ''}`);
  }

  private unsubscribe(session: Session, symbols: readonly string[]): void {
    for (const symbol of symbols) {
      if (!session.symbols.delete(symbol)) continue;
      this.floors.get(symbol)?.delete(session);
      session.behind?.sent.delete(symbol);
      session.connection.unsubscribe(quoteTopic(symbol));
    }
  }

  private subscribeOrders(session: Session): void {
    const accountId = session.principal!.accountId;
    if (session.orders) return;
    session.orders = true;
    session.connection.subscribe(orderTopic(accountId));
    const listener = this.orderListeners.get(accountId);
    if (listener) {
      listener.sessions += 1;
      return;
    }
    const stop = this.options.orderUpdates.subscribe(accountId, (update) => this.publisher?.publish(orderTopic(accountId), messages.order(update.order)));
    stop.catch((error: unknown) => this.options.logger.error({ err: error, accountId }, 'order updates subscription failed'));
    this.orderListeners.set(accountId, { sessions: 1, stop });
  }

  private releaseOrders(accountId: string): void {
    const listener = this.orderListeners.get(accountId);
    if (!listener || --listener.sessions > 0) return;
    this.orderListeners.delete(accountId);
    void listener.stop.then((stop) => stop()).catch((error: unknown) => this.options.logger.warn({ err: error, accountId }, 'order updates unsubscription failed'));
  }

  // ---- the window ---------------------------------------------------------------------------

  /** Ends a conflation window: one serialised message per moved symbol, published once to its topic. */
  flush(): void {
    const publisher = this.publisher;
    if (!publisher) return;
    const { ticks, stale, resumed } = this.window.drain();
    for (const symbol of stale) publisher.publish(quoteTopic(symbol), messages.stale([symbol]));
    for (const tick of ticks) {
      const entry = quoteEntry(quoteOf(tick));
      this.latest.set(tick.symbol, { seq: tick.seq, entry });
      const message = resumed.has(tick.symbol) ? messages.snapshot(entry) : messages.quotes([entry]);
      const waiting = this.floors.get(tick.symbol);
      if (waiting) {
        for (const [session, floor] of waiting) {
          if (tick.seq <= floor) continue;
          waiting.delete(session);
          if (session.behind) session.behind.sent.set(tick.symbol, floor);
          else session.connection.subscribe(quoteTopic(tick.symbol));
        }
        if (waiting.size === 0) this.floors.delete(tick.symbol);
      }
      publisher.publish(quoteTopic(tick.symbol), message);
    }
    this.metrics.published.inc(ticks.length);
    this.watchBackpressure();
  }

  /**
   * Connections whose socket buffers grow are behind: they leave their quote topics (so nothing
   * more queues for them) and catch up with the latest quote per symbol once they drain; one
   * that stays behind too long or buffers too much is closed with 4008.
   */
  private watchBackpressure(): void {
    const now = Date.now();
    let maxBuffered = 0;
    let behind = 0;
    for (const session of this.sessions) {
      const buffered = session.connection.bufferedAmount();
      maxBuffered = Math.max(maxBuffered, buffered);
      if (session.behind) {
        if (buffered >= this.limits.maxBufferedBytes || now - session.behind.since > this.limits.maxBehindMs) {
          this.metrics.slowClosed.inc();
          this.close(session, CLOSE.tooSlow, 'too slow: the connection stayed behind the price stream');
        } else if (buffered <= this.limits.slowBufferedBytes / 4) {
          this.catchUp(session);
        }
      } else if (buffered > this.limits.slowBufferedBytes) {
        this.fallBehind(session, now);
      }
      if (session.behind) behind += 1;
    }
    this.metrics.maxBuffered.set(maxBuffered);
    this.metrics.behind.set(behind);
  }

  private fallBehind(session: Session, now: number): void {
    const sent = new Map<string, number>();
    for (const symbol of session.symbols) {
      if (this.floors.get(symbol)?.has(session)) continue;
      sent.set(symbol, this.latest.get(symbol)?.seq ?? 0);
      session.connection.unsubscribe(quoteTopic(symbol));
    }
    session.behind = { since: now, sent };
    this.metrics.fellBehind.inc();
  }

  /** One message with the latest quote of every symbol that moved while the connection was behind. */
  private catchUp(session: Session): void {
    const behind = session.behind!;
    session.behind = undefined;
    const entries: string[] = [];
    for (const [symbol, sentSeq] of behind.sent) {
      const latest = this.latest.get(symbol);
      if (latest && latest.seq > sentSeq) entries.push(latest.entry);
      session.connection.subscribe(quoteTopic(symbol));
    }
    if (entries.length > 0) session.connection.send(messages.quotes(entries));
  }

  // ---- helpers -----------------------------------------------------------------------------

  private withinRate(session: Session): boolean {
    const now = Date.now();
    const rate = this.limits.messagesPerSecond;
    session.allowance = Math.min(rate * 2, session.allowance + ((now - session.lastMessageAt) / 1000) * rate);
    session.lastMessageAt = now;
    if (session.allowance >= 1) {
      session.allowance -= 1;
      session.limited = false;
      return true;
    }
    // One error when the budget runs out; a client that keeps flooding is closed.
    if (!session.limited) this.reject(session, 'rate_limited', `more than ${rate} messages per second; messages are being ignored`);
    session.limited = true;
    session.allowance -= 1;
    if (session.allowance < -rate) this.close(session, CLOSE.tooManyMessages, 'message flood');
    return false;
  }

  private reject(session: Session, code: StreamErrorCode, message: string): void {
    this.metrics.rejected.inc({ code });
    session.connection.send(messages.error(code, message));
  }

  private close(session: Session, code: number, reason: string): void {
    if (session.closed) return;
    session.connection.close(code, reason);
    this.closed(session);
  }
}
