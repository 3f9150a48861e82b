import { CLOSE } from '../stream-protocol.ts';
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '../../logging/logger.ts';
import type { OrderUpdateChannel, OrderUpdateRelay } from '../order-update-relay.ts';
import type { FanoutLimits } from '../stream-connection.ts';
import { SessionGate, type AlpacaConnection, type StreamCredentials } from './alpaca-connection.ts';
import { TRADING_STREAMS, tradingClientMessage, tradingFrames, type TradingClientMessage } from './trading-stream-protocol.ts';

const TRADE_UPDATES = 'trade_updates';
const tradeTopic = (accountId: string) => `t:${accountId}`;

/** The trading stream's share of the hub's order updates: one `trade_updates` frame per update that names an event. */
const tradeUpdatesChannel: OrderUpdateChannel = { topic: tradeTopic, message: tradingFrames.tradeUpdate };

export interface TradingSession {
  readonly connection: AlpacaConnection;
  readonly gate: SessionGate<string>;
  accountId: string | undefined;
  listening: boolean;
  closed: boolean;
}

export interface TradingStreamOptions {
  readonly credentials: StreamCredentials;
  readonly orders: OrderUpdateRelay;
  readonly limits: FanoutLimits;
  readonly logger: Logger;
  readonly metrics: Registry;
}

/**
 * Alpaca's trading stream: authenticate (key pair or our JWT), listen to `trade_updates`, then
 * the account's order events as they happen, through the hub's order-update relay (one upstream
 * subscription per account, each frame serialised once and published to the account's topic).
 */
export class AlpacaTradingStream {
  private readonly sessions = new Set<TradingSession>();
  private readonly connections: Gauge;

  constructor(private readonly options: TradingStreamOptions) {
    this.connections = new Gauge({ name: 'fanout_alpaca_trading_connections', help: 'Open Alpaca trading-stream connections', registers: [options.metrics] });
  }

  open(connection: AlpacaConnection): TradingSession {
    const session: TradingSession = {
      connection,
      accountId: undefined,
      listening: false,
      closed: false,
      gate: new SessionGate<string>(this.options.limits, {
        timedOut: () => this.end(session, 'auth timeout', 'authentication must come first, within the deadline'),
        limited: () => connection.send(tradingFrames.error(`more than ${this.options.limits.messagesPerSecond} messages per second; messages are being ignored`)),
        flooded: () => this.close(session, CLOSE.tooManyMessages, 'message flood'),
      }),
    };
    this.sessions.add(session);
    this.connections.set(this.sessions.size);
    return session;
  }

  /** One client frame, as text (binary frames carry the same JSON). */
  message(session: TradingSession, text: string): void {
    if (!session.closed) session.gate.admit(text, (admitted) => this.handle(session, admitted));
  }

  closed(session: TradingSession): void {
    if (!this.sessions.delete(session)) return;
    session.closed = true;
    session.gate.stopDeadline();
    this.connections.set(this.sessions.size);
    if (session.listening && session.accountId) this.options.orders.leave(session.accountId, tradeUpdatesChannel);
  }

  closeAll(): void {
    for (const session of [...this.sessions]) this.close(session, CLOSE.goingAway, 'server shutting down');
  }

  private handle(session: TradingSession, text: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return void session.connection.send(tradingFrames.error('invalid syntax: the message is not JSON'));
    }
    const parsed = tradingClientMessage.safeParse(raw);
    if (!parsed.success) return void session.connection.send(tradingFrames.error(`invalid message: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'message'}: ${issue.message}`).join('; ')}`));
    const message = parsed.data;
    if (message.action === 'authenticate') return this.authenticate(session, message);
    if (!session.accountId) return void session.connection.send(tradingFrames.authorization('unauthorized', 'listen'));
    this.listen(session, message.data.streams);
  }

  private authenticate(session: TradingSession, message: Extract<TradingClientMessage, { action: 'authenticate' }>): void {
    if (session.accountId) return void session.connection.send(tradingFrames.error('already authenticated'));
    const { credentials } = this.options;
    const data = message.data;
    if ('oauth_token' in data) return this.authenticated(session, credentials.token(data.oauth_token)?.accountId);
    session.gate.hold();
    credentials.apiKey(data.key_id, data.secret_key).then(
      (found) => this.authenticated(session, found?.accountId),
      (error: unknown) => {
        this.options.logger.warn({ err: error }, 'trading stream: API key lookup failed');
        if (session.closed) return;
        session.connection.send(tradingFrames.error('authentication is unavailable right now; try again'));
        session.gate.release(false, (held) => this.handle(session, held));
      },
    );
  }

  private authenticated(session: TradingSession, accountId: string | undefined): void {
    if (session.closed) return;
    if (!accountId) {
      session.connection.send(tradingFrames.authorization('unauthorized', 'authenticate'));
      return this.close(session, CLOSE.unauthorized, 'unauthorized');
    }
    session.accountId = accountId;
    session.connection.send(tradingFrames.authorization('authorized', 'authenticate'));
    session.gate.release(true, (held) => this.handle(session, held));
  }

  /** The set of streams is replaced, not added to (an empty list stops them), as on Alpaca. */
  private listen(session: TradingSession, streams: readonly string[]): void {
    const served = TRADING_STREAMS.filter((stream) => streams.includes(stream));
    const wants = served.includes(TRADE_UPDATES);
    const accountId = session.accountId!;
    if (wants && !session.listening) {
      session.connection.subscribe(tradeTopic(accountId));
      this.options.orders.join(accountId, tradeUpdatesChannel);
    } else if (!wants && session.listening) {
      session.connection.unsubscribe(tradeTopic(accountId));
      this.options.orders.leave(accountId, tradeUpdatesChannel);
    }
    session.listening = wants;
    session.connection.send(tradingFrames.listening(served));
  }

  private end(session: TradingSession, error: string, reason: string): void {
    session.connection.send(tradingFrames.error(error));
    this.close(session, CLOSE.unauthorized, reason);
  }

  private close(session: TradingSession, code: number, reason: string): void {
    if (session.closed) return;
    session.connection.close(code, reason);
    this.closed(session);
  }
}
