import type { IncomingMessage } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Registry } from 'prom-client';
import { WebSocketServer, type WebSocket } from 'ws';
import { z } from 'zod';
import type { Logger } from '../logging/logger.ts';
import { referenceUniverse } from '../market/reference-universe.ts';
import { createHttpMetrics } from '../observability/metrics.ts';
import { executionReport } from '../../gateways/exchange/wire/feed-report.ts';
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
  private readonly tickClients = new Set<WebSocket>();
  private ticker: NodeJS.Timeout | undefined;
  private closer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ExchangeSimulatorOptions) {
    const universe = referenceUniverse({ seed: options.seed, generated: options.universeSize });
    this.market = new SimulatedMarket(universe, options.seed, Date.now);
    this.faults = new FaultInjector(faultSettings.parse(options.faults ?? {}), options.seed);
    this.feed = new ExecutionFeed(this.faults, () => new Date());
    this.engine = new MatchingEngine(this.market, (report) => this.feed.publish(report));
    this.app = this.buildApp();
  }

  async listen(host: string, port: number): Promise<string> {
    await this.app.listen({ host, port });
    const sockets = new WebSocketServer({ noServer: true });
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
        this.feed.attach(client, Number.isSafeInteger(since) && since >= 0 ? since : 0);
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
    for (const client of this.tickClients) client.terminate();
    await this.app.close();
  }

  /** One price tick (exposed for deterministic tests). */
  tick(symbol?: string): SimulatedQuote {
    const quote = this.market.tick(Date.now(), symbol);
    this.engine.onQuote(quote);
    if (this.tickClients.size > 0) {
      const message = JSON.stringify(quoteAnswer(quote));
      for (const client of this.tickClients) client.send(message);
    }
    return quote;
  }

  private startTicking(): void {
    // Timers fire at most about every millisecond: send ticks in small bursts to reach the rate.
    const intervalMs = 10;
    const perInterval = this.options.ticksPerSecond / (1000 / intervalMs);
    let owed = 0;
    this.ticker = setInterval(() => {
      owed += perInterval;
      for (; owed >= 1; owed -= 1) this.tick();
    }, intervalMs);
    if (this.options.dayCloseAt !== undefined) {
      this.closer = setTimeout(() => this.engine.closeDay(), Math.max(0, this.options.dayCloseAt - Date.now()));
    }
  }

  private buildApp(): FastifyInstance {
    const app = Fastify({ loggerInstance: this.options.logger as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }) }).withTypeProvider<ZodTypeProvider>();
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    const http = createHttpMetrics(this.options.metrics);
    app.addHook('onResponse', async (request, reply) => {
      http.requests.inc({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) });
    });
    const faulty = async (): Promise<void> => {
      const { settings } = this.faults;
      if (settings.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, settings.latencyMs));
      if (this.faults.chance(settings.errorRate)) throw Object.assign(new Error('simulated exchange error'), { statusCode: 503 });
    };
    const hangMaybe = async (): Promise<void> => {
      // The call acted, but the answer is late: exactly what a client timeout cannot tell apart.
      if (this.faults.chance(this.faults.settings.timeoutRate)) await new Promise((resolve) => setTimeout(resolve, this.faults.settings.timeoutMs));
    };

    app.post('/v1/orders', { schema: { body: orderRequest } }, async (request, reply) => {
      await faulty();
      const { order, created } = this.engine.place(request.body);
      await hangMaybe();
      return reply.code(created ? 201 : 200).send(orderAnswer(order));
    });
    app.delete('/v1/orders/:externalOrderId', { schema: { params: z.object({ externalOrderId: z.string() }) } }, async (request, reply) => {
      await faulty();
      const order = this.engine.cancel(request.params.externalOrderId);
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
        this.feed.publish(request.body);
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
