import type { Registry } from 'prom-client';
import { ConflationWindow } from '../../application/market/conflation-window.ts';
import { quoteOf, type OrderUpdates, type SymbolCatalog, type Tick, type TickLogEntry, type TickStream } from '../../application/market/market-data.ts';
import type { Principal } from '../http/authentication.ts';
import type { Logger } from '../logging/logger.ts';
import { fanoutMetrics } from './fanout-metrics.ts';
import { MessageBudget } from './message-budget.ts';
import { OrderUpdateRelay, type OrderUpdateChannel } from './order-update-relay.ts';
import { DEFAULT_LIMITS, type FanoutLimits, type StreamConnection, type TopicPublisher } from './stream-connection.ts';
import { slowConsumerStep } from './slow-consumer.ts';
import { CLOSE, clientMessage, messages, quoteEntry, type StreamErrorCode } from './stream-protocol.ts';

export type { FanoutLimits, StreamConnection, TopicPublisher } from './stream-connection.ts';

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
  readonly budget: MessageBudget;
  closed: boolean;
}

/**
 * Another protocol served beside ours (the Alpaca data stream): told every tick-log entry as it
 * arrives and the ticks of every conflation window as it ends, so it shares the window and limits.
 */
export interface WindowListener {
  entries(entries: readonly TickLogEntry[]): void;
  window(ticks: readonly Tick[], now: number): void;
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

/** Our price socket's share of the order updates: `{ type: 'order', order }` on the account's topic. */
const ourOrderChannel: OrderUpdateChannel = { topic: orderTopic, message: (update) => messages.order(update.order) };

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
  /** Live order updates: one upstream subscription per account, shared by every protocol. */
  readonly orders: OrderUpdateRelay;
  private readonly windowListeners: WindowListener[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly metrics: ReturnType<typeof fanoutMetrics>;

  constructor(private readonly options: FanoutHubOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.orders = new OrderUpdateRelay({ orderUpdates: options.orderUpdates, publisher: () => this.publisher, logger: options.logger });
    this.metrics = fanoutMetrics(options.metrics);
  }

  /** Warms the latest quotes from the compacted log, then follows the live log. */
  async start(publisher: TopicPublisher): Promise<void> {
    this.publisher = publisher;
    const warm = await this.options.stream.latestTicks();
    this.window.warm(warm);
    for (const tick of warm) this.latest.set(tick.symbol, { seq: tick.seq, entry: quoteEntry(quoteOf(tick)) });
    await this.options.stream.start((entries) => {
      this.window.add(entries);
      for (const listener of this.windowListeners) listener.entries(entries);
    });
    this.timer = setInterval(() => this.flush(), this.limits.windowMs);
    this.options.logger.info({ symbols: warm.length, windowMs: this.limits.windowMs }, 'fan-out warmed from market.last and following market.ticks');
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.options.stream.stop();
    for (const session of [...this.sessions]) session.connection.close(CLOSE.goingAway, 'server shutting down');
    await this.orders.stop();
  }

  addWindowListener(listener: WindowListener): void {
    this.windowListeners.push(listener);
  }

  get connectionCount(): number {
    return this.sessions.size;
  }

  // ---- transport events -------------------------------------------------------------------

  open(connection: StreamConnection): Session {
    const session: Session = { connection, principal: undefined, authTimer: undefined, symbols: new Set(), orders: false, behind: undefined, budget: new MessageBudget(this.limits.messagesPerSecond, Date.now()), closed: false };
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
    if (session.orders && session.principal) this.orders.leave(session.principal.accountId, ourOrderChannel);
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
    this.orders.join(accountId, ourOrderChannel);
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
    const now = Date.now();
    this.watchBackpressure(now);
    for (const listener of this.windowListeners) listener.window(ticks, now);
  }

  /**
   * Connections whose socket buffers grow are behind: they leave their quote topics (so nothing
   * more queues for them) and catch up with the latest quote per symbol once they drain; one
   * that stays behind too long or buffers too much is closed with 4008.
   */
  private watchBackpressure(now: number): void {
    let maxBuffered = 0;
    let behind = 0;
    for (const session of this.sessions) {
      const buffered = session.connection.bufferedAmount();
      maxBuffered = Math.max(maxBuffered, buffered);
      const step = slowConsumerStep(buffered, session.behind?.since, now, this.limits);
      if (step === 'close') {
        this.metrics.slowClosed.inc();
        this.close(session, CLOSE.tooSlow, 'too slow: the connection stayed behind the price stream');
      } else if (step === 'catch_up') this.catchUp(session);
      else if (step === 'fall_behind') this.fallBehind(session, now);
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
    const verdict = session.budget.take(Date.now());
    // One error when the budget runs out; a client that keeps flooding is closed.
    if (verdict.tell) this.reject(session, 'rate_limited', `more than ${this.limits.messagesPerSecond} messages per second; messages are being ignored`);
    if (verdict.close) this.close(session, CLOSE.tooManyMessages, 'message flood');
    return verdict.allowed;
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
