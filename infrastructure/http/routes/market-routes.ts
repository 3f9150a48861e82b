import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CANDLE_INTERVALS, MAX_CANDLES_PER_QUERY } from '../../../application/market/candles.ts';
import { isBoundTime } from '../../../application/shared/value-ranges.ts';
import { ApiError } from '../api-error.ts';
import { cursorQuery, errorBody, limitQuery, quoteBody, symbolParam } from '../schemas/contract-schemas.ts';
import type { TradingDependencies } from './trading-dependencies.ts';

const queryTime = z.iso.datetime({ offset: true }).refine((value) => isBoundTime(Date.parse(value)), 'a time in years 0000–9999');

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
        summary: 'OHLCV candles',
        description:
          `Candles whose bucket starts within [from, to] (both optional, both inclusive), oldest first. ` +
          `At most \`limit\` candles are returned (default and cap ${MAX_CANDLES_PER_QUERY}): when the window holds more, ` +
          `the newest ones — so without from/to the answer is the latest candles. To page back, ask again with ` +
          `to = the first candle's t minus one millisecond. t is the bucket's start (UTC; a day starts at 00:00Z); ` +
          `o/h/l/c are prices in cents, v the shares traded in the bucket. One-second candles are kept for ` +
          `CANDLES_1S_RETENTION_MS (24 h by default; the embedded mode 5 minutes), minute and hour candles for ` +
          `CANDLES_1M_RETENTION_MS and CANDLES_1H_RETENTION_MS when set (the embedded mode 10 min and 24 h), day candles for good.`,
        params: z.object({ symbol: symbolParam }),
        querystring: z.object({
          interval: z.enum(CANDLE_INTERVALS).default('1m'),
          from: queryTime.optional(),
          to: queryTime.optional(),
          limit: limitQuery(MAX_CANDLES_PER_QUERY, MAX_CANDLES_PER_QUERY),
        }),
        response: {
          200: z.object({
            candles: z.array(
              z.object({
                t: z.string().describe('bucket start, ISO-8601 UTC with milliseconds'),
                o: z.number().int(),
                h: z.number().int(),
                l: z.number().int(),
                c: z.number().int(),
                v: z.number().int(),
              }),
            ),
          }),
          400: errorBody,
          404: errorBody,
        },
      },
    },
    async (request) => {
      const { symbol } = request.params;
      if (!deps.catalog.isListed(symbol)) throw new ApiError(404, 'not_found', `${symbol} is not listed`);
      const { interval, limit } = request.query;
      const fromMs = request.query.from === undefined ? undefined : Date.parse(request.query.from);
      const toMs = request.query.to === undefined ? undefined : Date.parse(request.query.to);
      if (fromMs !== undefined && toMs !== undefined && fromMs > toMs) {
        throw new ApiError(400, 'invalid_request', 'from must not be after to', [{ field: 'querystring.from', message: 'is after to' }]);
      }
      const candles = await deps.candles.candles({ symbol, interval, limit, ...(fromMs === undefined ? {} : { fromMs }), ...(toMs === undefined ? {} : { toMs }) });
      return {
        candles: candles.map((candle) => ({ t: new Date(candle.startMs).toISOString(), o: candle.openCents, h: candle.highCents, l: candle.lowCents, c: candle.closeCents, v: candle.volume })),
      };
    },
  );
};
