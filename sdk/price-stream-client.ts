import { DEFAULT_BACKOFF, ExponentialBackoff, type BackoffOptions } from './backoff.ts';
import { CLOSE_CODES, parseServerMessage, type ClientMessage, type Order, type QuoteFields, type StreamError } from './protocol.ts';
import { SequenceFilter } from './sequence-filter.ts';
import { TypedEvents } from './typed-events.ts';
import { openWebSocket, READY_STATE, type SocketCloseEvent, type SocketMessageEvent, type WebSocketConstructor, type WebSocketLike } from './web-socket.ts';

/** One quote entry as delivered: newer than anything seen of its symbol. */
export interface Quote extends QuoteFields {
  /** True for a snapshot (sent on subscribe, on resume when behind, and after a stale feed resumes). */
  readonly snapshot: boolean;
}

export interface PriceStreamEvents {
  quote: Quote;
  /** One change of this account's orders (after `subscribeOrders()`). */
  order: Order;
  /** The upstream feed of these symbols stopped; a snapshot follows when it resumes. */
  stale: { readonly symbols: readonly string[] };
  /** A server `error` message, or the client's own (see StreamError). */
  error: StreamError;
  /** The server accepted the token (it answered after auth) and the subscriptions were sent. */
  connected: { readonly url: string };
  disconnected: { readonly url: string; readonly code: number; readonly reason: string; readonly willReconnect: boolean };
  reconnecting: { readonly attempt: number; readonly delayMs: number; readonly url: string };
}

export type TokenProvider = () => string | Promise<string>;

export interface PriceStreamClientOptions {
  /** `ws://host:port/v1/stream`; or give `urls`. */
  readonly url?: string;
  /** Instances to rotate through: each reconnection goes to the next one. */
  readonly urls?: readonly string[];
  /** A bearer JWT, or a function asked for one before every connection (so expiry can be handled). */
  readonly token: string | TokenProvider;
  /** Reconnection delays (full jitter); `resetAfterMs`: how long a connection must stay up to start again from the first delay. */
  readonly backoff?: Partial<BackoffOptions> & { readonly resetAfterMs?: number };
  /** How often to send `{op:'ping'}` (0: only the one after auth). Default 15 s. */
  readonly pingIntervalMs?: number;
  /** A connection that sends nothing within this long after a ping is dead. Default 10 s. */
  readonly pongTimeoutMs?: number;
  /** Opening handshake timeout. Default 10 s. */
  readonly handshakeTimeoutMs?: number;
  /** The uniform [0, 1) source of the backoff jitter (tests inject their own). */
  readonly random?: () => number;
  /**
   * The WebSocket implementation. Default: the global `WebSocket` (browsers, Node 22+), else the
   * `ws` package (Node 20).
   */
  readonly WebSocket?: WebSocketConstructor;
}

type Timer = ReturnType<typeof setTimeout>;

type State = 'idle' | 'connecting' | 'authenticating' | 'open' | 'waiting' | 'closed';

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  promise.catch(() => undefined); // a connect() nobody awaits must not become an unhandled rejection
  return { promise, resolve, reject };
}

/**
 * A client of the price socket. It authenticates, keeps its subscriptions across reconnections
 * (exponential backoff with full jitter, rotating through `urls`), resumes each symbol from the
 * last seq it saw, and delivers a quote only when its seq is newer than anything seen of that
 * symbol — whatever instance it comes from. A 4001 close (bad token) stops it; anything else
 * (4008 too slow, a restart, a network failure, a silent server) reconnects.
 */
export class PriceStreamClient extends TypedEvents<PriceStreamEvents> {
  private readonly urls: readonly string[];
  private readonly backoff: ExponentialBackoff;
  private readonly filter = new SequenceFilter();
  private readonly symbols = new Set<string>();
  private orders = false;
  private state: State = 'idle';
  private urlIndex = 0;
  private socket: WebSocketLike | undefined;
  private firstConnection: Deferred | undefined;
  private lastReceivedAt = 0;
  /** Why the client itself ended the current socket (the close event then has no reason). */
  private endedBecause: string | undefined;
  private readonly timers = { reconnect: undefined as Timer | undefined, heartbeat: undefined as Timer | undefined, stable: undefined as Timer | undefined, handshake: undefined as Timer | undefined };
  private readonly settings: { pingIntervalMs: number; pongTimeoutMs: number; handshakeTimeoutMs: number; resetAfterMs: number };

  constructor(private readonly options: PriceStreamClientOptions) {
    super();
    this.urls = options.urls ?? (options.url ? [options.url] : []);
    if (this.urls.length === 0) throw new TypeError('PriceStreamClient needs a url or a non-empty urls list');
    this.backoff = new ExponentialBackoff({ ...DEFAULT_BACKOFF, ...options.backoff }, options.random ?? Math.random);
    this.settings = {
      pingIntervalMs: options.pingIntervalMs ?? 15_000,
      pongTimeoutMs: options.pongTimeoutMs ?? 10_000,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10_000,
      resetAfterMs: options.backoff?.resetAfterMs ?? 10_000,
    };
  }

  /** Entries dropped because their seq was not newer than one already delivered. */
  get dropped(): number {
    return this.filter.dropped;
  }

  /** True between `connected` and the next `disconnected`. */
  get isConnected(): boolean {
    return this.state === 'open';
  }

  /** The url of the current (or next) connection. */
  get url(): string {
    return this.urls[this.urlIndex]!;
  }

  lastSeq(symbol: string): number | undefined {
    return this.filter.lastSeq(symbol);
  }

  subscribedSymbols(): string[] {
    return [...this.symbols];
  }

  /**
   * Starts connecting (and keeps reconnecting); resolves once the server has accepted the token.
   * Rejects when the token is refused (4001) or `close()` comes first.
   */
  connect(): Promise<void> {
    if (this.state === 'closed') return Promise.reject(new Error('the client is closed'));
    if (!this.firstConnection) {
      this.firstConnection = deferred();
      void this.open();
    }
    return this.firstConnection.promise;
  }

  subscribe(symbols: readonly string[]): void {
    const added = [...new Set(symbols)].filter((symbol) => !this.symbols.has(symbol));
    for (const symbol of added) this.symbols.add(symbol);
    if (added.length > 0 && this.socketOpen()) this.send(this.subscribeMessage(added));
  }

  unsubscribe(symbols: readonly string[]): void {
    const removed = [...new Set(symbols)].filter((symbol) => this.symbols.delete(symbol));
    if (removed.length > 0 && this.socketOpen()) this.send({ op: 'unsubscribe', symbols: removed });
  }

  subscribeOrders(): void {
    if (this.orders) return;
    this.orders = true;
    if (this.socketOpen()) this.send({ op: 'subscribe_orders' });
  }

  /** Drops the current connection and connects to the next url at once (moves between instances). */
  reconnect(): void {
    if (this.state === 'closed' || this.state === 'idle') return;
    if (this.state === 'waiting') {
      clearTimeout(this.timers.reconnect);
      void this.open();
      return;
    }
    this.end('reconnect requested', true);
  }

  /** Closes for good: no more reconnections or events after `disconnected`. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.clearTimers();
    clearTimeout(this.timers.reconnect);
    this.firstConnection?.reject(new Error('the client was closed before it connected'));
    const socket = this.socket;
    if (!socket || socket.readyState === READY_STATE.closed) return;
    await new Promise<void>((resolve) => {
      const forced = setTimeout(() => {
        this.drop(socket, 'client closed');
        resolve();
      }, 1_000);
      socket.addEventListener('close', () => {
        clearTimeout(forced);
        resolve();
      });
      if (socket.readyState === READY_STATE.connecting) this.drop(socket, 'client closed');
      else socket.close(CLOSE_CODES.normal, 'client closed');
    });
  }

  // ---- connection lifecycle ----------------------------------------------------------------

  private async open(): Promise<void> {
    const url = this.url;
    this.state = 'connecting';
    let token: string;
    try {
      token = typeof this.options.token === 'string' ? this.options.token : await this.options.token();
    } catch (error) {
      if (this.state !== 'connecting') return;
      this.emit('error', { code: 'token_unavailable', message: `the token provider failed: ${error instanceof Error ? error.message : String(error)}` });
      this.scheduleReconnect();
      return;
    }
    if (this.state !== 'connecting') return; // closed while the token was on its way
    let socket: WebSocketLike;
    try {
      socket = await openWebSocket(url, this.options.WebSocket);
    } catch (error) {
      // A malformed url (the constructor throws SyntaxError): reported, and retried like a refused connection.
      this.emit('error', { code: 'connection_failed', message: error instanceof Error ? error.message : String(error) });
      if (this.state === 'connecting') this.scheduleReconnect();
      return;
    }
    if (this.state !== 'connecting') {
      this.drop(socket, 'client closed');
      return;
    }
    this.socket = socket;
    this.endedBecause = undefined;
    let failure: string | undefined;
    this.timers.handshake = setTimeout(() => {
      if (socket === this.socket && socket.readyState === READY_STATE.connecting) this.end(`no opening handshake within ${this.settings.handshakeTimeoutMs} ms`);
    }, this.settings.handshakeTimeoutMs);
    socket.addEventListener('open', () => {
      if (socket !== this.socket) return;
      clearTimeout(this.timers.handshake);
      this.state = 'authenticating';
      // Auth first, then everything this client had; the ping's answer (or any message before it) confirms the token.
      this.send({ op: 'auth', token });
      if (this.symbols.size > 0) this.send(this.subscribeMessage([...this.symbols]));
      if (this.orders) this.send({ op: 'subscribe_orders' });
      this.heartbeat(socket);
    });
    socket.addEventListener('message', ({ data }: SocketMessageEvent) => {
      if (socket !== this.socket) return;
      this.lastReceivedAt = Date.now();
      if (this.state === 'authenticating') this.confirmed(url);
      if (typeof data !== 'string') return this.emit('error', { code: 'invalid_server_message', message: 'binary frame received' });
      this.handle(data);
    });
    socket.addEventListener('error', (event: { message?: unknown }) => (failure = typeof event.message === 'string' ? event.message : 'connection error'));
    socket.addEventListener('close', ({ code, reason }: SocketCloseEvent) => this.closed(socket, url, code, reason || this.endedBecause || failure || ''));
  }

  private confirmed(url: string): void {
    this.state = 'open';
    this.timers.stable = setTimeout(() => this.backoff.reset(), this.settings.resetAfterMs);
    this.emit('connected', { url });
    this.firstConnection?.resolve();
  }

  private closed(socket: WebSocketLike, url: string, code: number, reason: string): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    this.clearTimers();
    if (this.state === 'closed') {
      this.emit('disconnected', { url, code, reason, willReconnect: false });
      return;
    }
    if (code === CLOSE_CODES.unauthorized) {
      this.state = 'closed';
      this.emit('disconnected', { url, code, reason, willReconnect: false });
      this.emit('error', { code: 'unauthorized', message: reason || 'the server refused the token' });
      this.firstConnection?.reject(new Error(`the server refused the token (4001${reason ? `: ${reason}` : ''})`));
      return;
    }
    this.emit('disconnected', { url, code, reason, willReconnect: true });
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.state = 'waiting';
    const { attempt, delayMs } = this.backoff.next();
    this.urlIndex = (this.urlIndex + 1) % this.urls.length;
    this.emit('reconnecting', { attempt, delayMs, url: this.url });
    this.timers.reconnect = setTimeout(() => void this.open(), delayMs);
  }

  /**
   * Pings now and every `pingIntervalMs`; if nothing at all arrives within `pongTimeoutMs` of a
   * ping, the connection is dead (a half-open TCP connection never closes by itself).
   */
  private heartbeat(socket: WebSocketLike): void {
    const sentAt = Date.now();
    this.send({ op: 'ping' });
    this.timers.heartbeat = setTimeout(() => {
      if (socket !== this.socket) return;
      if (this.lastReceivedAt < sentAt) return this.end(`no answer to a ping within ${this.settings.pongTimeoutMs} ms`);
      if (this.settings.pingIntervalMs <= 0) return;
      this.timers.heartbeat = setTimeout(() => this.heartbeat(socket), Math.max(0, this.settings.pingIntervalMs - this.settings.pongTimeoutMs));
    }, this.settings.pongTimeoutMs);
  }

  /** Ends the current socket from this side; its close event then reconnects. */
  private end(reason: string, immediately = false): void {
    const socket = this.socket;
    if (!socket) return;
    this.endedBecause = reason;
    if (immediately) {
      // Skip the backoff: detach this socket and open the next url now.
      this.socket = undefined;
      this.clearTimers();
      this.drop(socket, reason);
      this.emit('disconnected', { url: this.url, code: CLOSE_CODES.normal, reason, willReconnect: true });
      this.urlIndex = (this.urlIndex + 1) % this.urls.length;
      void this.open();
      return;
    }
    this.drop(socket, reason);
  }

  /**
   * Drops a socket without waiting for the peer. `ws` can (terminate, then close 1006). A browser
   * socket can only start the closing handshake, which a dead peer never answers: the client
   * treats it as closed at once (1006, as a dropped network would be) and ignores its later events.
   */
  private drop(socket: WebSocketLike, reason: string): void {
    if (socket.terminate) return socket.terminate();
    socket.close(CLOSE_CODES.normal, reason.slice(0, 100));
    if (socket === this.socket) this.closed(socket, this.url, CLOSE_CODES.abnormal, reason);
  }

  private clearTimers(): void {
    clearTimeout(this.timers.handshake);
    clearTimeout(this.timers.heartbeat);
    clearTimeout(this.timers.stable);
  }

  // ---- messages ------------------------------------------------------------------------------

  private handle(text: string): void {
    const message = parseServerMessage(text);
    if (!message) return this.emit('error', { code: 'invalid_server_message', message: `not a message of the protocol: ${text.slice(0, 200)}` });
    switch (message.type) {
      case 'snapshot': {
        const { type: _type, ...fields } = message;
        return this.deliver(fields, true);
      }
      case 'quotes':
        for (const entry of message.data) this.deliver(entry, false);
        return;
      case 'order':
        return this.emit('order', message.order);
      case 'stale':
        return this.emit('stale', { symbols: message.symbols });
      case 'pong':
        return;
      case 'error':
        return this.emit('error', { code: message.code, message: message.message });
    }
  }

  private deliver(fields: QuoteFields, snapshot: boolean): void {
    // Quotes in flight when an unsubscribe was sent are not wanted any more.
    if (!this.symbols.has(fields.symbol)) return;
    if (!this.filter.accept(fields.symbol, fields.seq)) return;
    this.emit('quote', { ...fields, snapshot });
  }

  private subscribeMessage(symbols: readonly string[]): ClientMessage {
    const since = this.filter.since(symbols);
    return Object.keys(since).length > 0 ? { op: 'subscribe', symbols, since } : { op: 'subscribe', symbols };
  }

  private socketOpen(): boolean {
    return this.socket?.readyState === READY_STATE.open;
  }

  private send(message: ClientMessage): void {
    if (this.socketOpen()) this.socket!.send(JSON.stringify(message));
  }
}
