import type { FastifyPluginAsync } from 'fastify';
import { readModelsCaughtUp } from '../../../application/read-models/caught-up.ts';
import type { ProjectionProgress } from '../../../application/read-models/queries.ts';
import type { TradingDependencies } from '../routes/trading-dependencies.ts';
import { alpacaAccountRoutes } from './alpaca-account-routes.ts';
import { alpacaClockRoutes } from './alpaca-clock-routes.ts';
import { installAlpacaErrors, NotSupportedHere } from './alpaca-errors.ts';
import { alpacaMarketDataRoutes } from './alpaca-market-data-routes.ts';
import { alpacaOrderRoutes } from './alpaca-order-routes.ts';

/**
 * The Alpaca-compatible face (docs/alpaca-compatibility.md): Alpaca's trading API and stock
 * market-data API under `/v2`, on the same use cases, read models and event store as `/v1`,
 * with Alpaca's shapes and Alpaca's errors. An encapsulated plugin: its error handler and its
 * catch-all apply to these routes only.
 */
export const alpacaApi: FastifyPluginAsync<TradingDependencies & { progress: ProjectionProgress }> = async (app, deps) => {
  installAlpacaErrors(app);
  await app.register(async (ledger) => {
    // Alpaca's reads of the ledger see every write made before them, and Alpaca clients send no
    // X-Min-Position: such a read waits (up to 2 s) until the read models reach the log's head as it stood.
    ledger.addHook('preHandler', async (request) => {
      if (request.method === 'GET') await readModelsCaughtUp({ headPosition: deps.logHead }, deps.progress, 2_000);
    });
    await ledger.register(alpacaAccountRoutes, deps);
    await ledger.register(alpacaOrderRoutes, deps);
  });
  await app.register(alpacaClockRoutes, deps);
  await app.register(alpacaMarketDataRoutes, deps);
  // Anything else under /v2 is part of Alpaca this server does not serve (options, crypto, watchlists, …).
  app.all('/v2/*', { config: { roles: ['trader', 'admin', 'auditor'] }, schema: { hide: true } }, async (request) => {
    throw new NotSupportedHere(`${request.method} ${request.url.split('?')[0]}`);
  });
};
