import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { ProjectionProgress } from '../../application/read-models/queries.ts';
import type { Config } from '../config/config.ts';
import type { Composition } from '../composition/container.ts';
import { TOKENS } from '../composition/tokens.ts';
import { buildApiServer, type RateLimitSettings } from '../http/api-server.ts';
import type { ReadinessCheck } from '../http/routes/operations-routes.ts';
import type { TradingDependencies } from '../http/routes/trading-dependencies.ts';
import { defaultWebConsoleRoot } from '../http/web-console.ts';

export interface RunningApi {
  readonly url: string;
  readonly app: FastifyInstance;
  stop(): Promise<void>;
}

/** The `api` process: the HTTP API on HOST:API_PORT. */
export async function startApi(composition: Composition, options: { jwtSecret: string; progress?: ProjectionProgress }): Promise<RunningApi> {
  const { container, logger } = composition;
  const config = container.resolve<Config>(TOKENS.Config);
  const readiness = [...container.resolve<ReadinessCheck[]>(TOKENS.ReadinessChecks)];
  let redis: Redis | undefined;
  if (config.RATE_LIMIT_STORE === 'redis') {
    redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
    redis.on('error', (error) => logger.warn({ err: error }, 'redis connection problem'));
    await redis.connect();
    composition.onClose(async () => {
      await redis?.quit().catch(() => undefined);
    });
    readiness.push({ name: 'redis', check: async () => (await redis!.ping()) === 'PONG' });
  }
  const app = await buildApiServer({
    logger,
    metrics: container.resolve<Registry>(TOKENS.Metrics),
    readiness,
    trading: {
      ...container.resolve<TradingDependencies>(TOKENS.TradingDependencies),
      jwtSecret: options.jwtSecret,
      progress: options.progress ?? container.resolve<ProjectionProgress>(TOKENS.ProjectionProgress),
      rateLimit: rateLimitSettings(config, redis),
    },
    webConsole: {
      root: config.WEB_CONSOLE_DIR ?? defaultWebConsoleRoot(),
      streamUrls: config.STREAM_PUBLIC_URLS?.split(',') ?? [],
      streamPort: config.STREAM_PORT,
      paperMode: config.PAPER_FUNDING,
    },
  });
  await app.listen({ host: config.HOST, port: config.API_PORT });
  const url = `http://${config.HOST}:${config.API_PORT}`;
  logger.info({ url }, 'api listening');
  return { url, app, stop: () => closeDraining(app) };
}

/** The API's request limits from its configuration (counters shared through Redis when given). */
export function rateLimitSettings(config: Config, redis?: Redis): RateLimitSettings {
  return {
    max: config.RATE_LIMIT_MAX,
    windowMs: config.RATE_LIMIT_WINDOW_MS,
    failuresMax: config.RATE_LIMIT_FAILURES_MAX,
    failuresWindowMs: config.RATE_LIMIT_FAILURES_WINDOW_MS,
    ...(redis ? { redis } : {}),
  };
}

/**
 * Stops taking requests and lets those in flight finish; connections a client keeps alive past
 * `drainMs` are closed so a shutdown never waits for a client's keep-alive timeout.
 */
export async function closeDraining(app: FastifyInstance, drainMs = 3_000): Promise<void> {
  const force = setTimeout(() => app.server.closeAllConnections(), drainMs);
  try {
    await app.close();
  } finally {
    clearTimeout(force);
  }
}
