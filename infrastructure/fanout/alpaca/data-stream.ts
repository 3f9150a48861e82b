import { CLOSE } from '../stream-protocol.ts';
import { Counter, Gauge, type Registry } from 'prom-client';
import { isStaleMarker, type Tick, type TickLogEntry } from '../../../application/market/market-data.ts';
import { MinuteBars, type MinuteBar } from '../../../application/market/minute-bars.ts';
import type { Logger } from '../../logging/logger.ts';
import type { WindowListener } from '../fanout-hub.ts';
import { slowConsumerStep } from '../slow-consumer.ts';
import type { FanoutLimits } from '../stream-connection.ts';
import { SessionGate, type AlpacaConnection, type StreamCredentials } from './alpaca-connection.ts';
import { EncodedMessage, type DataCodec } from './data-stream-codec.ts';
import { barMessage, control, dataClientMessage, quoteMessage, tradeMessage, type DataErrorCode } from './data-stream-protocol.ts';
import { emptySubscription, SubscriptionIndex, type Subscription } from './data-subscriptions.ts';

/** How long after a minute's end its bar waits for ticks still on their way. */
const BAR_GRACE_MS = 1_000;

export interface DataSession {
  readonly connection: AlpacaConnection;
  readonly codec: DataCodec;
  readonly gate: SessionGate<{ frame: Uint8Array; isBinary: boolean }>;
  readonly subscription: Subscription;
  authenticated: boolean;
  /** Messages for this window's frame. */
  outbox: Array<string | Uint8Array>;
  behindSince: number | undefined;
  closed: boolean;
}

export interface DataStreamOptions {
  readonly credentials: StreamCredentials;
  readonly limits: FanoutLimits;
  readonly logger: Logger;
  readonly metrics: Registry;
  readonly clock?: () => number;
}

/**
 * Alpaca's stock data stream, served from the hub's windows: `q` and `t` from each window's
 * conflated ticks (at most one of each per symbol per window), `b` from every tick folded into
 * minute bars, and every message of a window for a connection in one array frame. Connections
 * share the price socket's limits: symbols per connection, message budget, slow-consumer bounds.
 */
export class AlpacaDataStream implements WindowListener {
  private readonly sessions = new Set<DataSession>();
  private readonly subscriptions: SubscriptionIndex<DataSession>;
  private readonly bars = new MinuteBars();
  private endedBars: MinuteBar[] = [];
  private readonly clock: () => number;
  private readonly metrics;

  constructor(private readonly options: DataStreamOptions) {
    this.clock = options.clock ?? Date.now;
    this.subscriptions = new SubscriptionIndex(options.limits.maxSymbolsPerConnection, (symbol, watched) => (watched ? this.bars.watch(symbol, this.clock()) : this.bars.unwatch(symbol)));
    const registers = [options.metrics];
    this.metrics = {
      connections: new Gauge({ name: 'fanout_alpaca_data_connections', help: 'Open Alpaca stock-data-stream connections', registers }),
      slowClosed: new Counter({ name: 'fanout_alpaca_data_slow_closed_total', help: 'Data-stream connections closed with error 407 (slow client)', registers }),
      errors: new Counter({ name: 'fanout_alpaca_data_errors_total', help: 'Data-stream error messages sent', labelNames: ['code'], registers }),
    };
  }

  open(connection: AlpacaConnection, codec: DataCodec): DataSession {
    const session: DataSession = {
      connection,
      codec,
      subscription: emptySubscription(),
      authenticated: false,
      outbox: [],
      behindSince: undefined,
      closed: false,
      gate: new SessionGate(this.options.limits, {
        timedOut: () => this.fail(session, 404, CLOSE.unauthorized, 'auth timeout'),
        limited: () => this.error(session, 429),
        flooded: () => this.close(session, CLOSE.tooManyMessages, 'message flood'),
      }),
    };
    this.sessions.add(session);
    this.metrics.connections.set(this.sessions.size);
    this.send(session, control.connected);
    return session;
  }

  message(session: DataSession, frame: Uint8Array, isBinary: boolean): void {
    if (!session.closed) session.gate.admit({ frame, isBinary }, (admitted) => this.handle(session, admitted.frame, admitted.isBinary));
  }

  closed(session: DataSession): void {
    if (!this.sessions.delete(session)) return;
    session.closed = true;
    session.gate.stopDeadline();
    this.subscriptions.drop(session);
    this.metrics.connections.set(this.sessions.size);
  }

  closeAll(): void {
    for (const session of [...this.sessions]) this.close(session, CLOSE.goingAway, 'server shutting down');
  }

  // ---- the hub's window -------------------------------------------------------------------

  entries(entries: readonly TickLogEntry[]): void {
    if (this.bars.watching === 0) return;
    const ended = this.bars.add(entries.filter((entry): entry is Tick => !isStaleMarker(entry)));
    if (ended.length > 0) this.endedBars.push(...ended);
  }

  window(ticks: readonly Tick[], now: number): void {
    if (this.sessions.size === 0) return;
    const bars = this.bars.watching === 0 ? [] : [...this.endedBars, ...this.bars.due(now, BAR_GRACE_MS)];
    this.endedBars = [];
    // A message is built only for a symbol someone listens to on its channel.
    for (const tick of ticks) {
      const trades = this.subscriptions.listeners('trades', tick.symbol);
      if (trades) this.queue(trades, tradeMessage(tick));
      const quotes = this.subscriptions.listeners('quotes', tick.symbol);
      if (quotes) this.queue(quotes, quoteMessage(tick));
    }
    for (const bar of bars) {
      const listeners = this.subscriptions.listeners('bars', bar.symbol);
      if (listeners) this.queue(listeners, barMessage(bar));
    }
    for (const session of this.sessions) {
      if (session.outbox.length > 0) {
        // A connection that is behind misses this window's messages (Alpaca sends no backlog either).
        if (session.behindSince === undefined) session.connection.send(session.codec.frame(session.outbox));
        session.outbox = [];
      }
      this.watchBackpressure(session, now);
    }
  }

  private queue(listeners: Iterable<DataSession>, build: ConstructorParameters<typeof EncodedMessage>[0]): void {
    const message = new EncodedMessage(build);
    for (const session of listeners) session.outbox.push(message.for(session.codec));
  }

  private watchBackpressure(session: DataSession, now: number): void {
    const step = slowConsumerStep(session.connection.bufferedAmount(), session.behindSince, now, this.options.limits);
    if (step === 'fall_behind') session.behindSince = now;
    else if (step === 'catch_up') session.behindSince = undefined;
    else if (step === 'close') {
      this.metrics.slowClosed.inc();
      this.fail(session, 407, CLOSE.tooSlow, 'slow client');
    }
  }

  // ---- client messages --------------------------------------------------------------------

  private handle(session: DataSession, frame: Uint8Array, isBinary: boolean): void {
    let raw: unknown;
    try {
      raw = session.codec.decode(frame, isBinary);
    } catch {
      return this.error(session, 400);
    }
    const parsed = dataClientMessage.safeParse(raw);
    if (!parsed.success) return this.error(session, 400);
    const message = parsed.data;
    if (message.action === 'auth') return this.authenticate(session, message.key, message.secret);
    if (!session.authenticated) return this.error(session, 401);
    if (!this.subscriptions.change(session, message)) return this.error(session, 405);
    this.send(session, control.subscription(session.subscription));
  }

  private authenticate(session: DataSession, key: string, secret: string): void {
    if (session.authenticated) return this.error(session, 403);
    session.gate.hold();
    const replay = (held: { frame: Uint8Array; isBinary: boolean }) => this.handle(session, held.frame, held.isBinary);
    this.options.credentials.apiKey(key, secret).then(
      (found) => {
        if (session.closed) return;
        if (!found) return this.fail(session, 402, CLOSE.unauthorized, 'auth failed');
        session.authenticated = true;
        this.send(session, control.authenticated);
        session.gate.release(true, replay);
      },
      (error: unknown) => {
        this.options.logger.warn({ err: error }, 'data stream: API key lookup failed');
        if (session.closed) return;
        this.error(session, 500);
        session.gate.release(false, replay);
      },
    );
  }

  // ---- frames -----------------------------------------------------------------------------

  /** A control message, alone in its array (clients dispatch on the first element). */
  private send(session: DataSession, message: object): void {
    session.connection.send(session.codec.frame([session.codec.encode(message)]));
  }

  private error(session: DataSession, code: DataErrorCode): void {
    this.metrics.errors.inc({ code });
    this.send(session, control.error(code));
  }

  /** An error the connection does not survive: told, then closed. */
  private fail(session: DataSession, code: DataErrorCode, closeCode: number, reason: string): void {
    this.error(session, code);
    this.close(session, closeCode, reason);
  }

  private close(session: DataSession, code: number, reason: string): void {
    if (session.closed) return;
    session.connection.close(code, reason);
    this.closed(session);
  }
}
