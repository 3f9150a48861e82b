import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { EventStore } from '../../application/event-store/event-store.ts';
import type { ProjectionProgress } from '../../application/read-models/queries.ts';
import { loadConfig } from '../../infrastructure/config/config.ts';
import { compose, type Composition } from '../../infrastructure/composition/container.ts';
import { TOKENS } from '../../infrastructure/composition/tokens.ts';
import type { Role } from '../../infrastructure/http/authentication.ts';
import { buildApiServer } from '../../infrastructure/http/api-server.ts';
import type { TradingDependencies } from '../../infrastructure/http/routes/trading-dependencies.ts';
import type { WebConsoleSettings } from '../../infrastructure/http/web-console.ts';
import { signToken } from '../../infrastructure/http/tokens.ts';
import type { SqlClient } from '../../infrastructure/persistence/sql-client.ts';
import { rateLimitSettings } from '../../infrastructure/processes/api-process.ts';
import { startProjector } from '../../infrastructure/processes/projector-process.ts';
import { startWorker } from '../../infrastructure/processes/worker-process.ts';
import type { Projector } from '../../infrastructure/projections/projector.ts';

export const TEST_JWT_SECRET = 'test-secret-of-at-least-thirty-two-characters';

export interface TradingApp {
  readonly app: FastifyInstance;
  readonly composition: Composition;
  readonly store: EventStore;
  readonly readModels: SqlClient;
  readonly projector: Projector | undefined;
  close(): Promise<void>;
}

/**
 * One API instance, wired by the real composition root against a test database, answering
 * through `app.inject`. Several instances on one database behave like several processes: each
 * has its own command handler, cache and in-process locks.
 */
export async function startTradingApp(
  environment: Record<string, string>,
  options: { projector?: boolean; worker?: boolean; paperFunding?: boolean; rateLimitMax?: number; refusalsMax?: number; rateLimitRedis?: Redis; webConsole?: WebConsoleSettings } = {},
): Promise<TradingApp> {
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    RATE_LIMIT_STORE: 'memory',
    RATE_LIMIT_MAX: String(options.rateLimitMax ?? 1_000_000),
    RATE_LIMIT_FAILURES_MAX: String(options.refusalsMax ?? 1_000_000),
    PAPER_FUNDING: String(options.paperFunding ?? true),
    UNIVERSE_SIZE: '50',
    MARKET_DATA_STORE: 'memory',
    ...environment,
  });
  const composition = await compose(config, `test-${randomUUID().slice(0, 4)}`);
  const projector = options.projector === false ? undefined : await startProjector(composition);
  const worker = options.worker ? await startWorker(composition) : undefined;
  const { container, logger } = composition;
  const app = await buildApiServer({
    logger,
    metrics: container.resolve<Registry>(TOKENS.Metrics),
    readiness: [],
    trading: {
      ...container.resolve<TradingDependencies>(TOKENS.TradingDependencies),
      jwtSecret: TEST_JWT_SECRET,
      progress: projector ?? container.resolve<ProjectionProgress>(TOKENS.ProjectionProgress),
      rateLimit: rateLimitSettings(config, options.rateLimitRedis),
    },
    ...(options.webConsole ? { webConsole: options.webConsole } : {}),
  });
  return {
    app,
    composition,
    store: container.resolve<EventStore>(TOKENS.EventStore),
    readModels: container.resolve<SqlClient>(TOKENS.ReadModelDb),
    projector,
    async close() {
      await app.close();
      await worker?.stop();
      await projector?.stop();
      await composition.close();
    },
  };
}

export function tokenFor(accountId: string, role: Role = 'trader', ttlSeconds = 600): string {
  return signToken(TEST_JWT_SECRET, { accountId, role, ttlSeconds });
}

export function bearer(accountId: string, role: Role = 'trader'): Record<string, string> {
  return { authorization: `Bearer ${tokenFor(accountId, role)}` };
}
