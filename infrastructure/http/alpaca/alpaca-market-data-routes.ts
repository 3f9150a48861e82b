import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { alpacaTimestamp } from './alpaca-query.ts';
import type { CandleInterval } from '../../../application/market/candles.ts';
import type { Quote } from '../../../application/market/market-data.ts';
import { isQueryableTime } from '../../../application/shared/value-ranges.ts';
import { ApiError } from '../api-error.ts';
import type { TradingDependencies } from '../routes/trading-dependencies.ts';
import { alpacaBar, alpacaQuote, alpacaTrade } from './alpaca-market-data-model.ts';
import { NotSupportedHere } from './alpaca-errors.ts';

const TRADING_ROLES = ['trader', 'admin', 'auditor'] as const;
const MAX_BARS = 10_000;
const PAGE = 1_000;
const feed = z.enum(['iex', 'sip', 'delayed_sip', 'otc', 'boats', 'overnight']).optional();

/** Alpaca's timeframes this server keeps candles for. */
const TIMEFRAMES: Readonly<Record<string, CandleInterval>> = { '1Min': '1m', '1T': '1m', '1Hour': '1h', '1H': '1h', '1Day': '1d', '1D': '1d' };


interface BarCursor {
  /** Index of the symbol the next page starts in. */
  readonly s: number;
  /** First bucket start (ms) of the next page in that symbol. */
  readonly f: number;
}

const encodeCursor = (cursor: BarCursor) => Buffer.from(JSON.stringify(cursor)).toString('base64url');
function decodeCursor(token: string): BarCursor {
  try {
    const cursor = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as BarCursor;
    if (Number.isSafeInteger(cursor.s) && cursor.s >= 0 && isQueryableTime(cursor.f)) return cursor;
  } catch {
    // falls through
  }
  throw new ApiError(400, 'invalid_request', 'page_token is not one this server gave out');
}

const barsQuery = z.object({
  timeframe: z.string().max(10),
  start: alpacaTimestamp.optional(),
  end: alpacaTimestamp.optional(),
  limit: z.coerce.number().int().min(1).max(MAX_BARS).default(1_000),
  page_token: z.string().max(200).optional(),
  sort: z.enum(['asc', 'desc']).default('asc'),
  feed,
  adjustment: z.string().max(20).optional(),
  asof: z.string().max(20).optional(),
  currency: z.string().max(3).optional(),
});

/** Alpaca's stock market data (`/v2/stocks/...`): latest quotes and trades, bars, snapshots. */
export const alpacaMarketDataRoutes: FastifyPluginAsyncZod<TradingDependencies> = async (app, deps) => {
  const config = { roles: TRADING_ROLES };
  const tags = ['alpaca market data'];

  const listed = (symbol: string): string => {
    const upper = symbol.toUpperCase();
    if (!deps.catalog.isListed(upper)) throw new ApiError(404, 'not_found', `symbol ${symbol} not found`);
    return upper;
  };
  const symbolList = (symbols: string): string[] => {
    const list = [...new Set(symbols.split(',').map((symbol) => symbol.trim().toUpperCase()).filter(Boolean))];
    if (list.length === 0) throw new ApiError(400, 'invalid_request', 'symbols is required');
    if (list.length > 200) throw new ApiError(400, 'invalid_request', 'at most 200 symbols at once');
    return list.filter((symbol) => deps.catalog.isListed(symbol));
  };
  const latest = async (symbols: readonly string[]) => new Map((await Promise.all(symbols.map(async (symbol) => [symbol, await deps.quotes.latest(symbol)] as const))).filter((entry): entry is readonly [string, Quote] => entry[1] !== undefined));
  const single = (path: string) => ({ params: z.object({ symbol: z.string().max(16) }), querystring: z.object({ feed, currency: z.string().max(3).optional() }), tags, summary: path });
  const multi = (path: string) => ({ querystring: z.object({ symbols: z.string().max(4_000), feed, currency: z.string().max(3).optional() }), tags, summary: path });

  app.get('/v2/stocks/:symbol/quotes/latest', { config, schema: single('Latest quote (Alpaca)') }, async (request) => {
    const symbol = listed(request.params.symbol);
    const quote = (await latest([symbol])).get(symbol);
    if (!quote) throw new ApiError(404, 'not_found', `no quote for ${symbol} yet`);
    return { symbol, quote: alpacaQuote(quote) };
  });
  app.get('/v2/stocks/quotes/latest', { config, schema: multi('Latest quotes (Alpaca)') }, async (request) => ({ quotes: Object.fromEntries([...(await latest(symbolList(request.query.symbols)))].map(([symbol, quote]) => [symbol, alpacaQuote(quote)])) }));

  app.get('/v2/stocks/:symbol/trades/latest', { config, schema: single('Latest trade (Alpaca)') }, async (request) => {
    const symbol = listed(request.params.symbol);
    const quote = (await latest([symbol])).get(symbol);
    if (!quote) throw new ApiError(404, 'not_found', `no trade for ${symbol} yet`);
    return { symbol, trade: alpacaTrade(quote) };
  });
  app.get('/v2/stocks/trades/latest', { config, schema: multi('Latest trades (Alpaca)') }, async (request) => ({ trades: Object.fromEntries([...(await latest(symbolList(request.query.symbols)))].map(([symbol, quote]) => [symbol, alpacaTrade(quote)])) }));

  /** Up to `limit` bars of the symbols from the cursor on, and the cursor after them. */
  const bars = async (symbols: readonly string[], query: z.infer<typeof barsQuery>) => {
    const interval = TIMEFRAMES[query.timeframe];
    if (!interval) throw new NotSupportedHere(`timeframe ${query.timeframe} (this server keeps 1Min, 1Hour and 1Day bars)`);
    const startMs = query.start ? Date.parse(query.start) : Date.now() - 86_400_000;
    const endMs = query.end ? Date.parse(query.end) : Date.now();
    let cursor = query.page_token ? decodeCursor(query.page_token) : { s: 0, f: startMs };
    const found = new Map<string, ReturnType<typeof alpacaBar>[]>();
    let remaining = query.limit;
    const ascending = query.sort !== 'desc';
    while (cursor.s < symbols.length && remaining > 0) {
      const symbol = symbols[cursor.s]!;
      const wanted = Math.min(PAGE, remaining);
      const page = await deps.candles.candles({ symbol, interval, fromMs: cursor.f, toMs: endMs, limit: wanted, take: ascending ? 'oldest' : 'newest' });
      if (page.length > 0) found.set(symbol, [...(found.get(symbol) ?? []), ...page.map(alpacaBar)]);
      remaining -= page.length;
      // A full page going forward may have more after it in the same symbol; otherwise the next symbol starts.
      cursor = ascending && page.length === wanted ? { s: cursor.s, f: page[page.length - 1]!.startMs + 1 } : { s: cursor.s + 1, f: startMs };
    }
    if (query.sort === 'desc') for (const [symbol, list] of found) found.set(symbol, [...list].reverse());
    return { found, next: cursor.s < symbols.length ? encodeCursor(cursor) : null };
  };

  app.get('/v2/stocks/:symbol/bars', { config, schema: { params: z.object({ symbol: z.string().max(16) }), querystring: barsQuery, tags, summary: 'Bars of one symbol (Alpaca)' } }, async (request) => {
    const symbol = listed(request.params.symbol);
    const { found, next } = await bars([symbol], request.query);
    return { symbol, bars: found.get(symbol) ?? [], next_page_token: next };
  });
  app.get('/v2/stocks/bars', { config, schema: { querystring: barsQuery.extend({ symbols: z.string().max(4_000) }), tags, summary: 'Bars of several symbols (Alpaca)' } }, async (request) => {
    const { found, next } = await bars(symbolList(request.query.symbols), request.query);
    return { bars: Object.fromEntries(found), next_page_token: next };
  });

  const latestBars = async (symbol: string) => {
    const [minute, days] = await Promise.all([deps.candles.candles({ symbol, interval: '1m', limit: 1 }), deps.candles.candles({ symbol, interval: '1d', limit: 2 })]);
    return { minute: minute[0], daily: days[days.length - 1], previousDaily: days.length > 1 ? days[0] : undefined };
  };
  const snapshot = async (symbol: string, quote: Quote | undefined) => {
    const { minute, daily, previousDaily } = await latestBars(symbol);
    return {
      latestTrade: quote ? alpacaTrade(quote) : null,
      latestQuote: quote ? alpacaQuote(quote) : null,
      minuteBar: minute ? alpacaBar(minute) : null,
      dailyBar: daily ? alpacaBar(daily) : null,
      prevDailyBar: previousDaily ? alpacaBar(previousDaily) : null,
    };
  };
  app.get('/v2/stocks/:symbol/bars/latest', { config, schema: single('Latest minute bar (Alpaca)') }, async (request) => {
    const symbol = listed(request.params.symbol);
    const { minute } = await latestBars(symbol);
    if (!minute) throw new ApiError(404, 'not_found', `no bar for ${symbol} yet`);
    return { symbol, bar: alpacaBar(minute) };
  });
  app.get('/v2/stocks/:symbol/snapshot', { config, schema: single('Snapshot of one symbol (Alpaca)') }, async (request) => {
    const symbol = listed(request.params.symbol);
    return { symbol, ...(await snapshot(symbol, (await latest([symbol])).get(symbol))) };
  });
  app.get('/v2/stocks/snapshots', { config, schema: multi('Snapshots of several symbols (Alpaca)') }, async (request) => {
    const symbols = symbolList(request.query.symbols);
    const quotes = await latest(symbols);
    return Object.fromEntries(await Promise.all(symbols.map(async (symbol) => [symbol, await snapshot(symbol, quotes.get(symbol))] as const)));
  });
};
