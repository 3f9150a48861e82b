import { randomUUID } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { openPaperAccount } from '../../application/paper/open-paper-account.ts';
import type { ProjectionProgress } from '../../application/read-models/queries.ts';
import type { Logger } from '../logging/logger.ts';
import { createHttpMetrics } from '../observability/metrics.ts';
import { ApiError } from './api-error.ts';
import { installAuthentication, SECURITY_SCHEMES } from './authentication.ts';
import { alpacaAnswer, alpacaErrorBody } from './alpaca/alpaca-errors.ts';
import { answerClientError, answerFor, errorBody, installErrorHandling, sendAnswer } from './error-handler.ts';
import { installReadYourWrites } from './read-your-writes.ts';
import { accountRoutes } from './routes/account-routes.ts';
import { alpacaApi } from './alpaca/alpaca-api.ts';
import { apiKeyRoutes } from './routes/api-key-routes.ts';
import { auditRoutes } from './routes/audit-routes.ts';
import { marketRoutes } from './routes/market-routes.ts';
import { operationsRoutes, type ReadinessCheck } from './routes/operations-routes.ts';
import { orderRoutes } from './routes/order-routes.ts';
import { paperRoutes } from './routes/paper-routes.ts';
import { streamRoutes } from './routes/stream-routes.ts';
import type { TradingDependencies } from './routes/trading-dependencies.ts';
import { traderTokens } from './tokens.ts';
import { webConsole, type WebConsoleSettings } from './web-console.ts';

export interface RateLimitSettings {
  /** Requests per account per window. */
  readonly max: number;
  readonly windowMs: number;
  /** Refused requests (bad credentials, invalid bodies) per client address per `failuresWindowMs`. */
  readonly failuresMax: number;
  readonly failuresWindowMs: number;
  /** Shared counters for several API instances; in memory when absent. */
  readonly redis?: Redis;
}

export interface TradingApiSettings extends TradingDependencies {
  readonly jwtSecret: string;
  readonly progress: ProjectionProgress;
  readonly rateLimit: RateLimitSettings;
}

export interface ApiServerDependencies {
  readonly logger: Logger;
  readonly metrics: Registry;
  readonly readiness: readonly ReadinessCheck[];
  /** The `/v1` routes; without them the server answers operations routes only. */
  readonly trading?: TradingApiSettings;
  /** Largest request body accepted, in bytes. */
  readonly bodyLimit?: number;
  /** The trader web console at `/` (the `api` process serves it in every mode). */
  readonly webConsole?: WebConsoleSettings;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The HTTP API (api.md): routes declare zod schemas that validate, type and document them. */
export async function buildApiServer(dependencies: ApiServerDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: dependencies.logger as FastifyBaseLogger,
    bodyLimit: dependencies.bodyLimit ?? 16 * 1024,
    // Per-request lines would drown the logs under load; /metrics counts requests instead.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    // Errors found before a route runs, in the contract's format like every other answer.
    clientErrorHandler: answerClientError,
    frameworkErrors: (error, request, reply) => {
      const alpaca = request.url.startsWith('/v2/');
      const answer = alpaca ? alpacaAnswer(error) : answerFor(error);
      void sendAnswer(request, reply, error, answer, alpaca ? alpacaErrorBody(answer) : errorBody(answer.code, answer.message, answer.details));
    },
    forceCloseConnections: 'idle',
    // A caller's X-Request-Id (a UUID) becomes the correlation id of every event it causes.
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && UUID.test(given) ? given.toLowerCase() : randomUUID();
    },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandling(app);

  const http = createHttpMetrics(dependencies.metrics);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const labels = { method: request.method, route };
    http.requests.inc({ ...labels, status: String(reply.statusCode) });
    http.duration.observe(labels, reply.elapsedTime / 1000);
    if (reply.statusCode >= 500) request.log.warn({ method: request.method, route, status: reply.statusCode }, 'request answered with a server error');
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'trading-core API', version: '1', description: 'The public contract of trading-core (shared/api.md).' },
      components: { securitySchemes: SECURITY_SCHEMES },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(operationsRoutes, { metrics: dependencies.metrics, readiness: dependencies.readiness });
  if (dependencies.trading) await registerTradingApi(app, dependencies.trading);
  if (dependencies.webConsole) await app.register(webConsole, dependencies.webConsole);
  return app;
}

/** Answers that refuse a request at the edge, before any business: each counts against the client address. */
const REFUSALS = new Set([400, 401, 403, 413, 415]);

async function registerTradingApi(app: FastifyInstance, trading: TradingApiSettings): Promise<void> {
  await app.register(rateLimit, {
    global: true,
    // After authentication and before validation: an account's invalid bodies count against it too.
    hook: 'preValidation',
    max: trading.rateLimit.max,
    timeWindow: trading.rateLimit.windowMs,
    ...(trading.rateLimit.redis ? { redis: trading.rateLimit.redis, nameSpace: 'trading-core:rate-limit:' } : {}),
    allowList: (request) => !request.url.startsWith('/v1/') && !request.url.startsWith('/v2/'),
    keyGenerator: (request) => (request.principal ? `account:${request.principal.accountId}` : `ip:${request.ip}`),
    errorResponseBuilder: (_request, context) => new ApiError(429, 'rate_limited', `at most ${context.max} requests per ${trading.rateLimit.windowMs} ms; retry after ${context.after}`),
  });
  limitRefusalsByAddress(app, trading.rateLimit);
  await installAuthentication(app, trading.jwtSecret, trading.apiKeys.authenticate);
  installReadYourWrites(app, trading.progress);
  await app.register(accountRoutes, trading);
  await app.register(orderRoutes, trading);
  await app.register(marketRoutes, trading);
  await app.register(streamRoutes, trading);
  await app.register(auditRoutes, trading);
  await app.register(apiKeyRoutes, trading);
  await app.register(alpacaApi, trading);
  // Outside paper mode the route is not there at all: a 404 like any unknown route.
  if (trading.paperFunding) {
    const open = openPaperAccount({ clock: trading.clock, newAccountId: randomUUID, tokens: traderTokens(trading.jwtSecret) });
    await app.register(paperRoutes, { openPaperAccount: open, accountsPerMinute: trading.paperAccountsPerMinute });
  }
}

/**
 * Bad tokens, unknown keys and invalid bodies never reach the per-account limit (there is no
 * account, or the request fails before it): each refusal counts against the client address, and
 * an address past `failuresMax` in a window gets 429 for all its requests until the window ends,
 * checked before authentication so they cost nothing. Valid traffic is not counted, so many
 * accounts behind one address (a NAT, a load test) are limited per account as before.
 */
function limitRefusalsByAddress(app: FastifyInstance, settings: RateLimitSettings): void {
  // The plugin's allowList (outside /v1 and /v2) holds here too: such requests are neither checked nor counted.
  const refusals = app.createRateLimit({ max: settings.failuresMax, timeWindow: settings.failuresWindowMs, keyGenerator: (request) => `refused:${request.ip}` });
  app.addHook('onRequest', async (request, reply) => {
    const state = await refusals(request, { increment: false });
    if (state.isAllowed || state.remaining > 0) return;
    void reply.header('retry-after', String(Math.max(1, state.ttlInSeconds)));
    throw new ApiError(429, 'rate_limited', `too many refused requests from this address; retry after ${Math.max(1, state.ttlInSeconds)} s`);
  });
  app.addHook('onResponse', async (request, reply) => {
    if (REFUSALS.has(reply.statusCode)) await refusals(request);
  });
}
