import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PositionView } from '../../../application/read-models/queries.ts';
import { ApiError } from '../api-error.ts';
import { principalOf } from '../authentication.ts';
import { withPosition } from '../read-your-writes.ts';
import { accountBody, activityBody, authenticatedErrors, cursorQuery, errorBody, fundsRequest, limitQuery, positionBody } from '../schemas/contract-schemas.ts';
import { commandContext, type TradingDependencies } from './trading-dependencies.ts';

const TRADING_ROLES = ['trader', 'admin'] as const;
// Cash in and out takes the account's bearer token: API keys trade and read.
const MONEY_MOVEMENT = { roles: TRADING_ROLES, bearerOnly: true } as const;
const commandSchema = (summary: string) => ({
  tags: ['commands'],
  summary,
  body: fundsRequest,
  response: { 200: accountBody, 201: accountBody, 404: errorBody, 409: errorBody, 422: errorBody, ...authenticatedErrors },
});

/** Deposits, withdrawals and the account's queries (api.md, Commands and Queries). */
export const accountRoutes: FastifyPluginAsyncZod<TradingDependencies> = async (app, deps) => {
  app.post('/v1/account/deposits', { config: MONEY_MOVEMENT, schema: commandSchema('Deposit cash (admin; the account\'s trader in paper mode)') }, async (request, reply) => {
    const principal = principalOf(request);
    if (principal.role === 'trader' && !deps.paperFunding) throw new ApiError(403, 'forbidden', 'deposits are made by an admin unless paper funding is on');
    const moved = await deps.moveFunds('deposit', { accountId: principal.accountId, ...request.body }, commandContext(request, deps.clock));
    return withPosition(reply, moved.position).code(moved.applied ? 201 : 200).send(moved.account);
  });

  app.post('/v1/account/withdrawals', { config: MONEY_MOVEMENT, schema: commandSchema('Withdraw cash that is not reserved') }, async (request, reply) => {
    const principal = principalOf(request);
    const moved = await deps.moveFunds('withdrawal', { accountId: principal.accountId, ...request.body }, commandContext(request, deps.clock));
    return withPosition(reply, moved.position).code(moved.applied ? 201 : 200).send(moved.account);
  });

  app.get(
    '/v1/account',
    { config: { roles: TRADING_ROLES }, schema: { tags: ['queries'], summary: 'Cash, reserved cash and buying power', response: { 200: accountBody, ...authenticatedErrors } } },
    async (request) => deps.queries.getAccount(principalOf(request).accountId),
  );

  app.get(
    '/v1/positions',
    {
      config: { roles: TRADING_ROLES },
      schema: { tags: ['queries'], summary: 'Positions with market value', response: { 200: z.object({ positions: z.array(positionBody) }), ...authenticatedErrors } },
    },
    async (request) => ({ positions: await valuedPositions(deps, principalOf(request).accountId) }),
  );

  app.get(
    '/v1/portfolio',
    {
      config: { roles: TRADING_ROLES },
      schema: {
        tags: ['queries'],
        summary: 'Account, positions and equity',
        response: { 200: accountBody.extend({ positions: z.array(positionBody), equityCents: z.number().int() }), ...authenticatedErrors },
      },
    },
    async (request) => {
      const accountId = principalOf(request).accountId;
      const [account, positions] = await Promise.all([deps.queries.getAccount(accountId), valuedPositions(deps, accountId)]);
      const equityCents = positions.reduce((sum, position) => sum + (position.marketValueCents ?? 0), account.cashCents);
      return { ...account, positions, equityCents };
    },
  );

  app.get(
    '/v1/account/activities',
    {
      config: { roles: TRADING_ROLES },
      schema: {
        tags: ['queries'],
        summary: 'Ledger entries that moved cash, newest first',
        querystring: z.object({ limit: limitQuery(500, 100), cursor: cursorQuery }),
        response: { 200: z.object({ activities: z.array(activityBody), nextCursor: z.string().nullable() }), ...authenticatedErrors },
      },
    },
    async (request) => {
      const page = await deps.queries.listActivities(principalOf(request).accountId, request.query);
      return { activities: page.items, nextCursor: page.nextCursor };
    },
  );
};

async function valuedPositions(deps: TradingDependencies, accountId: string) {
  const positions = await deps.queries.listPositions(accountId);
  return Promise.all(
    positions.map(async (position: PositionView) => {
      const quote = await deps.quotes.latest(position.symbol);
      const marketPriceCents = quote?.priceCents ?? null;
      const marketValueCents = marketPriceCents === null ? null : marketPriceCents * position.qty;
      return {
        symbol: position.symbol,
        qty: position.qty,
        reservedQty: position.reservedQty,
        avgCostCents: position.avgCostCents,
        marketPriceCents,
        marketValueCents,
        unrealizedPlCents: marketValueCents === null ? null : marketValueCents - position.costBasisCents,
      };
    }),
  );
}
