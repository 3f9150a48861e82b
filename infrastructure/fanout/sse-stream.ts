import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import type { StreamTickets } from '../../application/market/stream-tickets.ts';
import type { Principal } from '../http/authentication.ts';
import type { FanoutHub, Session, StreamConnection, TopicPublisher } from './fanout-hub.ts';
import { TopicRegistry } from './topic-registry.ts';

export const SSE_PATH = '/v1/stream/sse';
const SYMBOL = /^[A-Z][A-Z0-9.]{0,11}$/;
const KEEPALIVE_MS = 15_000;

/**
 * The resume token of an SSE event: the last sequence the client was sent per symbol. The
 * browser hands it back in `Last-Event-ID` on reconnect, and it becomes the subscription's `since`.
 */
export function encodeResumeToken(seqs: ReadonlyMap<string, number>): string {
  return Buffer.from(JSON.stringify(Object.fromEntries(seqs))).toString('base64url');
}

export function decodeResumeToken(token: string): Record<string, number> {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) return {};
    return Object.fromEntries(Object.entries(decoded).filter(([symbol, seq]) => SYMBOL.test(symbol) && Number.isSafeInteger(seq) && (seq as number) >= 0)) as Record<string, number>;
  } catch {
    return {};
  }
}

/** What an SSE connection reads from a message to keep its resume token. */
interface SseMessage {
  readonly type: string;
  readonly symbol?: string;
  readonly seq?: number;
  readonly data?: ReadonlyArray<{ symbol: string; seq: number }>;
}

/** One SSE response as a hub connection: every message becomes an event, quotes carry a resume id. */
class SseConnection implements StreamConnection {
  readonly topics = new Set<string>();
  private readonly seqs = new Map<string, number>();
  private buffered = 0;
  ended = false;

  constructor(
    private readonly res: HttpResponse,
    private readonly registry: SseRegistry,
  ) {}

  send(message: string): boolean {
    return this.deliver(message, JSON.parse(message) as SseMessage);
  }

  /** One message, already parsed (a published message is parsed once for every SSE member). */
  deliver(message: string, parsed: SseMessage): boolean {
    if (this.ended) return false;
    if (parsed.type === 'snapshot') this.seqs.set(parsed.symbol!, parsed.seq!);
    for (const entry of parsed.data ?? []) this.seqs.set(entry.symbol, entry.seq);
    const id = parsed.type === 'snapshot' || parsed.type === 'quotes' ? `id: ${encodeResumeToken(this.seqs)}\n` : '';
    return this.write(`event: ${parsed.type}\n${id}data: ${message}\n\n`);
  }

  write(frame: string): boolean {
    if (this.ended) return false;
    let ok = true;
    this.res.cork(() => {
      ok = this.res.write(frame);
    });
    if (!ok) {
      this.buffered += Buffer.byteLength(frame);
      this.res.onWritable(() => {
        this.buffered = 0;
        return true;
      });
    }
    return true;
  }

  bufferedAmount(): number {
    return this.buffered;
  }

  subscribe(topic: string): void {
    this.topics.add(topic);
    this.registry.join(topic, this);
  }

  unsubscribe(topic: string): void {
    this.topics.delete(topic);
    this.registry.leave(topic, this);
  }

  close(code: number, reason: string): void {
    if (this.ended) return;
    this.write(`event: close\ndata: ${JSON.stringify({ code, reason })}\n\n`);
    this.ended = true;
    this.registry.drop(this);
    this.res.cork(() => this.res.end());
  }

  aborted(): void {
    this.ended = true;
    this.registry.drop(this);
  }
}

/** The SSE connections and their topics (uWS topics are for WebSockets only). */
class SseRegistry implements TopicPublisher {
  private readonly topics = new TopicRegistry<SseConnection>();
  readonly connections = new Set<SseConnection>();

  join(topic: string, connection: SseConnection): void {
    this.topics.join(topic, connection);
  }

  leave(topic: string, connection: SseConnection): void {
    this.topics.leave(topic, connection);
  }

  drop(connection: SseConnection): void {
    for (const topic of connection.topics) this.leave(topic, connection);
    this.connections.delete(connection);
  }

  publish(topic: string, message: string): void {
    let parsed: SseMessage | undefined;
    for (const connection of this.topics.members(topic)) connection.deliver(message, (parsed ??= JSON.parse(message) as SseMessage));
  }
}

function answerError(res: HttpResponse, status: string, code: string, message: string): void {
  res.cork(() => res.writeStatus(status).writeHeader('Content-Type', 'application/json').end(JSON.stringify({ error: { code, message } })));
}

/**
 * `GET /v1/stream/sse?symbols=AAPL,TSLA` on the price-socket port: the same JSON as the socket,
 * as `snapshot` / `quotes` (and `stale`, `error`) events; authenticated by a bearer header or a
 * single-use `ticket`; resumed from `Last-Event-ID`. Returns the publisher for SSE subscribers.
 */
export function mountSse(app: TemplatedApp, hub: FanoutHub, deps: { verifyToken: (token: string) => Principal | undefined; tickets: StreamTickets | undefined }): TopicPublisher & { close(): void } {
  const registry = new SseRegistry();
  const keepalive = setInterval(() => {
    for (const connection of registry.connections) connection.write(': keepalive\n\n');
  }, KEEPALIVE_MS);

  app.get(SSE_PATH, (res: HttpResponse, req: HttpRequest) => {
    const query = new URLSearchParams(req.getQuery() ?? '');
    const authorization = req.getHeader('authorization');
    const lastEventId = req.getHeader('last-event-id') || query.get('lastEventId') || '';
    let connection: SseConnection | undefined;
    let session: Session | undefined;
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
      connection?.aborted();
      if (session) hub.closed(session);
    });

    void (async () => {
      if (query.has('token') || query.has('access_token')) return answerError(res, '400 Bad Request', 'invalid_request', 'tokens are not accepted in URLs; use the Authorization header or a ticket from POST /v1/stream/tickets');
      const bearer = /^Bearer (.+)$/i.exec(authorization)?.[1];
      const ticket = query.get('ticket');
      const principal = bearer ? deps.verifyToken(bearer) : ticket && deps.tickets ? await deps.tickets.redeem(ticket) : undefined;
      if (aborted) return;
      if (!principal) return answerError(res, '401 Unauthorized', 'unauthorized', bearer ? 'the token is malformed, expired or not signed by us' : ticket ? 'the ticket is unknown, used or expired' : 'an Authorization: Bearer token or a ticket is required');
      const symbols = (query.get('symbols') ?? '').split(',').filter(Boolean);
      if (symbols.length === 0 || symbols.length > hub.limits.maxSymbolsPerConnection || !symbols.every((symbol) => SYMBOL.test(symbol))) {
        return answerError(res, '400 Bad Request', 'invalid_request', `symbols must list 1 to ${hub.limits.maxSymbolsPerConnection} ticker symbols, comma-separated`);
      }
      const sse = new SseConnection(res, registry);
      connection = sse;
      registry.connections.add(sse);
      res.cork(() => {
        res.writeStatus('200 OK').writeHeader('Content-Type', 'text/event-stream').writeHeader('Cache-Control', 'no-cache').writeHeader('X-Accel-Buffering', 'no');
        res.write(': connected\n\n');
      });
      session = hub.openAuthenticated(sse, principal);
      hub.message(session, JSON.stringify({ op: 'subscribe', symbols, since: decodeResumeToken(lastEventId) }));
    })().catch(() => {
      if (!aborted && !connection) answerError(res, '503 Service Unavailable', 'unavailable', 'the ticket store is unreachable');
    });
  });

  return {
    publish: (topic, message) => registry.publish(topic, message),
    close: () => {
      clearInterval(keepalive);
      for (const connection of [...registry.connections]) connection.close(1001, 'server shutting down');
    },
  };
}
