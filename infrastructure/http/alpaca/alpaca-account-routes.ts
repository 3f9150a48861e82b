import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { alpacaTimestamp } from './alpaca-query.ts';
import { accountStreamId } from '../../../domain/account/account.ts';
import type { ActivityView } from '../../../application/read-models/queries.ts';
import { DomainError } from '../../../domain/shared/domain-error.ts';
import { principalOf } from '../authentication.ts';
import type { TradingDependencies } from '../routes/trading-dependencies.ts';
import { NotSupportedHere } from './alpaca-errors.ts';
import { alpacaAccount, alpacaActivity, alpacaAsset, alpacaPosition, ALPACA_ACTIVITY_TYPE, type QuotedPosition } from './alpaca-model.ts';
import { allSymbols, listedSymbol, symbolOf } from './alpaca-symbols.ts';
import { isQueryableTime } from '../../../application/shared/value-ranges.ts';
import { ApiError } from '../api-error.ts';

const TRADING_ROLES = ['trader', 'admin'] as const;
const ACTIVITY_TYPES = new Map(Object.entries(ALPACA_ACTIVITY_TYPE).map(([ours, theirs]) => [theirs, ours as ActivityView['activityType']]));
const MS_PER_DAY = 86_400_000;

async function quotedPositions(deps: TradingDependencies, accountId: string): Promise<QuotedPosition[]> {
  const positions = await deps.queries.listPositions(accountId);
  return Promise.all(positions.map(async (position) => ({ position, quote: await deps.quotes.latest(position.symbol) })));
}

const activityQuery = z.object({
  activity_types: z.string().max(500).optional(),
  category: z.enum(['trade_activity', 'non_trade_activity']).optional(),
  date: alpacaTimestamp.optional(),
  until: alpacaTimestamp.optional(),
  after: alpacaTimestamp.optional(),
  direction: z.enum(['asc', 'desc']).default('desc'),
  page_size: z.coerce.number().int().min(1).max(100).default(100),
  page_token: z.string().max(100).optional(),
});

/** The Alpaca activity types asked for, in our kinds; refuses types this server never records. */
function activityKinds(query: z.infer<typeof activityQuery>, path: string | undefined): ActivityView['activityType'][] | undefined {
  const named = path ? [path] : query.activity_types?.split(',').map((type) => type.trim().toUpperCase()).filter(Boolean);
  let kinds = named?.map((type) => {
    const kind = ACTIVITY_TYPES.get(type);
    if (!kind) throw new NotSupportedHere(`activity type ${type} (this server records FILL, CSD and CSW)`);
    return kind;
  });
  if (query.category) {
    const trade = query.category === 'trade_activity';
    kinds = (kinds ?? ['fill', 'deposit', 'withdrawal']).filter((kind) => (kind === 'fill') === trade);
  }
  return kinds;
}

/** Alpaca's account, positions, activities and assets (`/v2/...`). */
export const alpacaAccountRoutes: FastifyPluginAsyncZod<TradingDependencies> = async (app, deps) => {
  const config = { roles: TRADING_ROLES };
  const tags = ['alpaca'];

  app.get('/v2/account', { config, schema: { tags, summary: 'The account (Alpaca)' } }, async (request) => {
    const accountId = principalOf(request).accountId;
    const [account, positions, first] = await Promise.all([deps.queries.getAccount(accountId), quotedPositions(deps, accountId), deps.audit.streamEvents(accountStreamId(accountId), { from: 0n, limit: 1 })]);
    return alpacaAccount(account, positions, first?.events[0]?.recordedAt.toISOString() ?? null);
  });

  app.get('/v2/positions', { config, schema: { tags, summary: 'Open positions (Alpaca)' } }, async (request) => (await quotedPositions(deps, principalOf(request).accountId)).map(alpacaPosition));

  app.get('/v2/positions/:symbol_or_asset_id', { config, schema: { tags, summary: 'One open position (Alpaca)', params: z.object({ symbol_or_asset_id: z.string().max(64) }) } }, async (request) => {
    const symbol = symbolOf(deps.catalog, request.params.symbol_or_asset_id);
    const quoted = (await quotedPositions(deps, principalOf(request).accountId)).find(({ position }) => position.symbol === symbol);
    if (!quoted) throw new DomainError('unknown_position', 'position does not exist');
    return alpacaPosition(quoted);
  });

  const activities = async (accountId: string, query: z.infer<typeof activityQuery>, type?: string) => {
    let { after, until } = query;
    if (query.date) {
      // The UTC day of `date`; at the ends of the queryable years, that side stays open.
      const day = Math.floor(Date.parse(query.date) / MS_PER_DAY) * MS_PER_DAY;
      after = isQueryableTime(day - 1) ? new Date(day - 1).toISOString() : undefined;
      until = isQueryableTime(day + MS_PER_DAY) ? new Date(day + MS_PER_DAY).toISOString() : undefined;
    }
    const types = activityKinds(query, type);
    if (types && types.length === 0) return [];
    const found = await deps.searches.searchActivities(accountId, {
      direction: query.direction,
      limit: query.page_size,
      ...(types ? { types } : {}),
      ...(after ? { after: new Date(after).toISOString() } : {}),
      ...(until ? { until: new Date(until).toISOString() } : {}),
      // A page token is an activity id as Alpaca writes them: `<time>::<uuid>`.
      ...(query.page_token ? { afterActivityId: pageTokenId(query.page_token) } : {}),
    });
    return found.map((activity) => alpacaActivity(activity, activity.fill));
  };
  app.get('/v2/account/activities', { config, schema: { tags, summary: 'Account activities (Alpaca)', querystring: activityQuery } }, async (request) => activities(principalOf(request).accountId, request.query));
  app.get(
    '/v2/account/activities/:activity_type',
    { config, schema: { tags, summary: 'Account activities of one type (Alpaca)', params: z.object({ activity_type: z.string().max(16) }), querystring: activityQuery } },
    async (request) => activities(principalOf(request).accountId, request.query, request.params.activity_type.toUpperCase()),
  );

  app.get(
    '/v2/assets',
    {
      config,
      schema: { tags, summary: 'Tradable assets (Alpaca)', querystring: z.object({ status: z.string().max(20).optional(), asset_class: z.string().max(40).optional(), exchange: z.string().max(20).optional(), attributes: z.string().max(200).optional() }) },
    },
    async (request) => {
      const { status, asset_class: assetClass, exchange, attributes } = request.query;
      // Everything listed here is an active US equity on our (simulated) venue, with no special attributes.
      if ((status && status !== 'active') || (assetClass && assetClass !== 'us_equity') || (exchange && exchange !== 'NASDAQ') || attributes) return [];
      return allSymbols(deps.catalog).map(alpacaAsset);
    },
  );

  app.get('/v2/assets/:symbol_or_asset_id', { config, schema: { tags, summary: 'One asset (Alpaca)', params: z.object({ symbol_or_asset_id: z.string().max(64) }) } }, async (request) => {
    const symbol = symbolOf(deps.catalog, request.params.symbol_or_asset_id);
    const listed = symbol === undefined ? undefined : listedSymbol(deps.catalog, symbol);
    if (!listed) throw new ApiError(404, 'not_found', 'asset not found');
    return alpacaAsset(listed);
  });
};

/** The activity id inside a page token (`<time>::<uuid>`, or a bare uuid). */
function pageTokenId(token: string): string {
  const id = token.includes('::') ? token.slice(token.lastIndexOf('::') + 2) : token;
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw new DomainError('invalid_order', 'page_token is not an activity id this server gave out');
  return id.toLowerCase();
}
