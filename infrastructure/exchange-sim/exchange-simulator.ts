import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { Counter, type Registry } from 'prom-client';
import { WebSocketServer, type WebSocket } from 'ws';
import { z } from 'zod';
import type { Logger } from '../logging/logger.ts';
import { referenceUniverse } from '../market/reference-universe.ts';
import { createHttpMetrics } from '../observability/metrics.ts';
import { executionReport } from '../../gateways/exchange/wire/feed-report.ts';
import { adminGuard } from './admin-guard.ts';
import { ExchangeJournal } from './exchange-journal.ts';
import { ExecutionFeed } from './execution-feed.ts';
import { FaultInjector, faultSettings, type FaultSettings } from './faults.ts';
import { MatchingEngine, type ExchangeOrder } from './matching-engine.ts';
import { SimulatedMarket, type SimulatedQuote } from './simulated-market.ts';

export interface ExchangeSimulatorOptions {
  readonly seed: number;
  readonly universeSize: number;
  /** Price ticks per second across the universe. */
  readonly ticksPerSecond: number;
  /** When `day` orders expire (ms since the epoch); never when absent. */
  readonly dayCloseAt?: number;
  readonly faults?: Partial<FaultSettings>;
  /** The bearer token the admin routes take (`EXCHANGE_ADMIN_TOKEN`); without one they do not exist. */
  readonly adminToken?: string;
  /** Names this run in every order id and on the feed; a fresh one per start when absent. */
  readonly session?: string;
  /** Where it keeps its orders and reports across restarts; without it, a restart forgets everything. */
  readonly stateDir?: string;
  readonly logger: Logger;
  readonly metrics: Registry;
}

const orderRequest = z
  .object({
    clientOrderId: z.string().min(1).max(64),
    symbol: z.string().min(1).max(12),
    side: z.enum(['buy', 'sell']),
    type: z.enum(['market', 'limit']),
    qty: z.number().int().positive(),
    limitPriceCents: z.number().int().positive().nullable().optional(),
    protectionPriceCents: z.number().int().positive().nullable().optional(),
    timeInForce: z.enum(['day', 'gtc', 'ioc', 'fok']),
  })
  .strict();

/** Unsent bytes past which a tick-feed client misses ticks. */
const MAX_FEED_BUFFER_BYTES = 16 * 1024 * 1024;

function orderAnswer(order: ExchangeOrder) {
  return {
    externalOrderId: order.externalOrderId,
    clientOrderId: order.clientOrderId,
    status: order.status,
    filledQty: order.filledQty,
    leavesQty: order.qty - order.filledQty,
    rejectReason: order.rejectReason ?? null,
    executions: order.executions,
  };
}

function quoteAnswer(quote: SimulatedQuote) {
  return { symbol: quote.symbol, seq: quote.seq, priceCents: quote.priceCents, bidCents: quote.bidCents, askCents: quote.askCents, volume: quote.volume, ts: new Date(quote.ts).toISOString() };
}

/**
 * The external exchange, simulated: a synchronous order API (place by clientOrderId, cancel,
 * look up), matching against a random-walk market, an execution feed with sequence numbers and
 * resume, a tick feed, and fault injection. One process, one port, deterministic for a seed.
 */
export class ExchangeSimulator {
  readonly app: FastifyInstance;
  readonly market: SimulatedMarket;
  readonly engine: MatchingEngine;
  readonly feed: ExecutionFeed;
  readonly faults: FaultInjector;
  /** This run of the exchange: a restarted exchange is a new session that knows none of the old orders. */
  readonly session: string;
  private readonly tickClients = new Set<WebSocket>();
  private readonly sockets = new WebSocketServer({ noServer: true });
  private ticker: NodeJS.Timeout | undefined;
  private closer: NodeJS.Timeout | undefined;
  private ticksPerSecond: number;
  private readonly ticksMade: Counter;
  private readonly ticksSent: Counter;
  private readonly ticksDropped: Counter;

  constructor(private readonly options: ExchangeSimulatorOptions) {
    this.ticksPerSecond = options.ticksPerSecond;
    const registers = [options.metrics];
    this.ticksMade = new Counter({ name: 'exchange_ticks_total', help: 'Price ticks the simulated market made', registers });
    this.ticksSent = new Counter({ name: 'exchange_ticks_sent_total', help: 'Ticks sent on the tick feed, counted once per client', registers });
    this.ticksDropped = new Counter({ name: 'exchange_ticks_dropped_total', help: 'Ticks not sent to a tick-feed client with too much unsent already', registers });
    const universe = referenceUniverse({ seed: options.seed, generated: options.universeSize });
    this.market = new SimulatedMarket(universe, options.seed, Date.now);
    const faultsFired = new Counter({ name: 'exchange_faults_total', help: 'Faults the simulated exchange injected, by kind', labelNames: ['kind'], registers });
    this.faults = new FaultInjector(faultSettings.parse(options.faults ?? {}), options.seed, (kind) => faultsFired.inc({ kind }));
    this.session = options.session ?? `S${randomBytes(4).toString('hex')}`;
    const journal = options.stateDir ? new ExchangeJournal(options.stateDir) : undefined;
    const kept = journal?.read() ?? { sessions: [], orders: [], bookReports: [] };
    this.engine = new MatchingEngine(this.market, (report) => this.feed.publish(report), this.session, (order) => journal?.order(this.session, order));
    // What an earlier run took is known again; what of it was still open is canceled by the
    // restart, reported at the end of its session's feed.
    const stillOpen = this.engine.restore(kept.orders, kept.bookReports);
    const last = kept.sessions.at(-1);
    for (const order of stillOpen) {
      order.status = 'canceled';
      order.rejectReason = 'exchange_restart';
      const session = last!;
      const report = { type: 'order_status', externalOrderId: order.externalOrderId, clientOrderId: order.clientOrderId, status: 'canceled', reason: 'exchange_restart', session: session.session, seq: session.log.length + 1, ts: new Date().toISOString() } as const;
      session.log.push(report);
      journal!.report(report);
    }
    this.feed = new ExecutionFeed(this.faults, () => new Date(), this.session, kept.sessions, (report, injected) => journal?.report(report, injected));
    this.app = this.buildApp();
  }

  async listen(host: string, port: number): Promise<string> {
    await this.app.listen({ host, port });
    const { sockets } = this;
    this.app.server.on('upgrade', (request: IncomingMessage, socket, head) => {
      const url = new URL(request.url ?? '/', 'http://exchange');
      if (url.pathname !== '/v1/executions' && url.pathname !== '/v1/ticks') return socket.destroy();
      sockets.handleUpgrade(request, socket, head, (client) => {
        if (url.pathname === '/v1/ticks') {
          this.tickClients.add(client);
          client.on('close', () => this.tickClients.delete(client));
          return;
        }
        const since = Number(url.searchParams.get('since') ?? '0');
        this.feed.attach(client, Number.isSafeInteger(since) && since >= 0 ? since : 0, url.searchParams.get('session') || undefined);
      });
    });
    this.startTicking();
    const address = this.app.server.address();
    const bound = typeof address === 'object' && address ? address.port : port;
    return `http://${host}:${bound}`;
  }

  async close(): Promise<void> {
    clearInterval(this.ticker);
    clearTimeout(this.closer);
    for (const client of this.sockets.clients) client.terminate();
    await this.app.close();
  }

  /** One price tick, sent at once (exposed for deterministic tests). */
  tick(symbol?: string): SimulatedQuote {
    const quote = this.nextQuote(symbol);
    this.sendTicks([quote]);
    return quote;
  }

  /** The tick rate from now on (`POST /admin/ticks`; benchmarks ramp it). */
  setTickRate(ticksPerSecond: number): void {
    this.ticksPerSecond = ticksPerSecond;
  }

  private nextQuote(symbol?: string): SimulatedQuote {
    const quote = this.market.tick(Date.now(), symbol);
    this.engine.onQuote(quote);
    return quote;
  }

  /**
   * One frame per burst: a JSON array of ticks, as exchange feeds pack many messages into one
   * packet. A client that lets more than `MAX_FEED_BUFFER_BYTES` pile up unsent misses ticks
   * (counted) instead of growing this process without bound.
   */
  private sendTicks(quotes: readonly SimulatedQuote[]): void {
    this.ticksMade.inc(quotes.length);
    if (this.tickClients.size === 0 || quotes.length === 0) return;
    const frame = JSON.stringify(quotes.map(quoteAnswer));
    for (const client of this.tickClients) {
      if (client.bufferedAmount > MAX_FEED_BUFFER_BYTES) this.ticksDropped.inc(quotes.length);
      else {
        client.send(frame);
        this.ticksSent.inc(quotes.length);
      }
    }
  }

  private startTicking(): void {
    // Timers fire at most about every millisecond: send ticks in bursts to reach the rate, and
    // catch up with the clock so that a late timer does not lower it.
    const intervalMs = 10;
    let owed = 0;
    let last = performance.now();
    this.ticker = setInterval(() => {
      const now = performance.now();
      owed = Math.min(owed + ((now - last) / 1_000) * this.ticksPerSecond, Math.max(1, this.ticksPerSecond));
      last = now;
      const burst: SimulatedQuote[] = [];
      for (; owed >= 1; owed -= 1) burst.push(this.nextQuote());
      this.sendTicks(burst);
    }, intervalMs);
    if (this.options.dayCloseAt !== undefined) {
      this.closer = setTimeout(() => this.engine.closeDay(), Math.max(0, this.options.dayCloseAt - Date.now()));
    }
  }

  private buildApp(): FastifyInstance {
    const app = Fastify({ loggerInstance: this.options.logger as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }) }).withTypeProvider<ZodTypeProvider>();
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    app.addHook('onRequest', adminGuard(this.options.adminToken));
    const http = createHttpMetrics(this.options.metrics);
    app.addHook('onResponse', async (request, reply) => {
      http.requests.inc({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) });
    });
    const faulty = async (): Promise<void> => {
      const { settings } = this.faults;
      if (settings.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, settings.latencyMs));
      if (this.faults.fires('error')) throw Object.assign(new Error('simulated exchange error'), { statusCode: 503 });
    };
    const hangMaybe = async (): Promise<void> => {
      // The call acted, but the answer is late: exactly what a client timeout cannot tell apart.
      if (this.faults.fires('timeout')) await new Promise((resolve) => setTimeout(resolve, this.faults.settings.timeoutMs));
    };

    app.post('/v1/orders', { schema: { body: orderRequest } }, async (request, reply) => {
      await faulty();
      const { order, created } = this.engine.place(request.body);
      await hangMaybe();
      return reply.code(created ? 201 : 200).send(orderAnswer(order));
    });
    app.delete('/v1/orders/:externalOrderId', { schema: { params: z.object({ externalOrderId: z.string() }), querystring: z.object({ clientOrderId: z.string().min(1).max(64).optional() }) } }, async (request, reply) => {
      await faulty();
      const order = this.engine.cancel(request.params.externalOrderId, request.query.clientOrderId);
      await hangMaybe();
      if (!order) return reply.code(404).send({ error: 'unknown_order' });
      return orderAnswer(order);
    });
    app.get('/v1/orders', { schema: { querystring: z.object({ clientOrderId: z.string() }) } }, async (request, reply) => {
      await faulty();
      const order = this.engine.find(request.query.clientOrderId);
      if (!order) return reply.code(404).send({ error: 'unknown_order' });
      return orderAnswer(order);
    });
    app.get('/v1/quotes/:symbol', { schema: { params: z.object({ symbol: z.string() }) } }, async (request, reply) => {
      const quote = this.market.quote(request.params.symbol);
      if (!quote) return reply.code(404).send({ error: 'unknown_symbol' });
      return quoteAnswer(quote);
    });
    app.get('/admin/faults', async () => this.faults.settings);
    // Drills and tests: hold a symbol at a price, so fills happen at a known one.
    app.post('/admin/pins', { schema: { body: z.object({ symbol: z.string().min(1).max(12), priceCents: z.number().int().positive().nullable() }).strict() } }, async (request, reply) => {
      const { symbol, priceCents } = request.body;
      if (!this.market.has(symbol)) return reply.code(404).send({ error: 'unknown_symbol' });
      if (priceCents === null) {
        this.market.unpin(symbol);
        return { symbol, pinned: false };
      }
      const quote = this.market.pin(symbol, priceCents, Date.now());
      this.engine.onQuote(quote);
      this.sendTicks([quote]);
      return quoteAnswer(quote);
    });
    app.post('/admin/ticks', { schema: { body: z.object({ ticksPerSecond: z.number().min(0).max(1_000_000) }).strict() } }, async (request) => {
      this.setTickRate(request.body.ticksPerSecond);
      return { ticksPerSecond: this.ticksPerSecond };
    });
    app.post('/admin/faults', { schema: { body: faultSettings.partial() } }, async (request) => {
      this.faults.settings = faultSettings.parse({ ...this.faults.settings, ...request.body });
      return this.faults.settings;
    });
    // For tests and drills: put a report on the feed as if the exchange had sent it.
    app.post(
      '/admin/reports',
      {
        schema: { body: executionReport },
      },
      async (request) => {
        this.feed.publish(request.body, true);
        return { seq: this.feed.lastSeq };
      },
    );
    app.post('/admin/close-day', async () => {
      this.engine.closeDay();
      return { closed: true };
    });
    app.get('/healthz', async () => ({ status: 'ok' }));
    app.get('/metrics', async (_request, reply) => reply.header('content-type', this.options.metrics.contentType).send(await this.options.metrics.metrics()));
    return app;
  }
}
