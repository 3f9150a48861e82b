import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ApiError } from '../api-error.ts';
import { cursorQuery, errorBody, limitQuery, quoteBody, symbolParam } from '../schemas/contract-schemas.ts';
import type { TradingDependencies } from './trading-dependencies.ts';

/** The listed universe and its quotes; public (api.md: `/v1/symbols*` need no token). */
export const marketRoutes: FastifyPluginAsyncZod<TradingDependencies> = async (app, deps) => {
  app.get(
    '/v1/symbols',
    {
      schema: {
        tags: ['market data'],
        summary: 'The listed symbols',
        querystring: z.object({ limit: limitQuery(1_000, 100), cursor: cursorQuery }),
        response: { 200: z.object({ symbols: z.array(z.object({ symbol: z.string(), name: z.string() })), nextCursor: z.string().nullable() }), 400: errorBody },
      },
    },
    async (request) => {
      const after = request.query.cursor === undefined ? undefined : Buffer.from(request.query.cursor, 'base64url').toString('utf8');
      const symbols = deps.catalog.list({ ...(after === undefined ? {} : { after }), limit: request.query.limit });
      const last = symbols[symbols.length - 1];
      const more = last !== undefined && deps.catalog.list({ after: last.symbol, limit: 1 }).length > 0;
      return { symbols, nextCursor: more ? Buffer.from(last.symbol).toString('base64url') : null };
    },
  );

  app.get(
    '/v1/symbols/:symbol',
    { schema: { tags: ['market data'], summary: 'Latest quote', params: z.object({ symbol: symbolParam }), response: { 200: quoteBody, 400: errorBody, 404: errorBody } } },
    async (request) => {
      const quote = deps.catalog.isListed(request.params.symbol) ? await deps.quotes.latest(request.params.symbol) : undefined;
      if (!quote) throw new ApiError(404, 'not_found', `${request.params.symbol} is not listed`);
      return { symbol: quote.symbol, priceCents: quote.priceCents, bidCents: quote.bidCents, askCents: quote.askCents, volume: quote.volume, changePct: quote.changePct, seq: quote.seq, ts: quote.ts };
    },
  );

  app.get(
    '/v1/symbols/:symbol/candles',
    {
      schema: {
        tags: ['market data'],
        summary: 'OHLCV candles (filled by the candles consumer of the market-data tier)',
        params: z.object({ symbol: symbolParam }),
        querystring: z.object({ interval: z.enum(['1s', '1m', '1h', '1d']).default('1m'), from: z.iso.datetime().optional(), to: z.iso.datetime().optional() }),
        response: {
          200: z.object({ candles: z.array(z.object({ t: z.string(), o: z.number().int(), h: z.number().int(), l: z.number().int(), c: z.number().int(), v: z.number().int() })) }),
          400: errorBody,
          404: errorBody,
        },
      },
    },
    async (request) => {
      if (!deps.catalog.isListed(request.params.symbol)) throw new ApiError(404, 'not_found', `${request.params.symbol} is not listed`);
      return { candles: [] };
    },
  );
};
