import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DomainError } from '../../../domain/shared/domain-error.ts';
import { principalOf } from '../authentication.ts';
import { withPosition } from '../read-your-writes.ts';
import { authenticatedErrors, cursorQuery, errorBody, limitQuery, orderBody, orderRequest } from '../schemas/contract-schemas.ts';
import { commandContext, type TradingDependencies } from './trading-dependencies.ts';

const TRADING_ROLES = ['trader', 'admin'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const notFound = (id: string) => new DomainError('unknown_order', `order ${id} does not exist`);

/** Placing, canceling and reading orders (api.md). */
export const orderRoutes: FastifyPluginAsyncZod<TradingDependencies> = async (app, deps) => {
  app.post(
    '/v1/orders',
    {
      config: { roles: TRADING_ROLES },
      schema: {
        tags: ['commands'],
        summary: 'Place a market or limit order (idempotent per clientOrderId)',
        body: orderRequest,
        response: { 200: orderBody, 201: orderBody, 409: errorBody, 422: errorBody, ...authenticatedErrors },
      },
    },
    async (request, reply) => {
      const { limitPriceCents, ...rest } = request.body;
      const placed = await deps.placeOrder(principalOf(request).accountId, { ...rest, limitPriceCents: limitPriceCents ?? null }, commandContext(request, deps.clock));
      return withPosition(reply, placed.position).code(placed.created ? 201 : 200).send(placed.order);
    },
  );

  app.delete(
    '/v1/orders/:id',
    {
      config: { roles: TRADING_ROLES },
      schema: {
        tags: ['commands'],
        summary: 'Cancel an order',
        params: z.object({ id: z.string().max(64) }),
        response: { 202: orderBody, 404: errorBody, 409: errorBody, ...authenticatedErrors },
      },
    },
    async (request, reply) => {
      if (!UUID.test(request.params.id)) throw notFound(request.params.id);
      const canceled = await deps.cancelOrder(principalOf(request).accountId, request.params.id.toLowerCase(), commandContext(request, deps.clock));
      return withPosition(reply, canceled.position).code(202).send(canceled.order);
    },
  );

  app.get(
    '/v1/orders',
    {
      config: { roles: TRADING_ROLES },
      schema: {
        tags: ['queries'],
        summary: 'Orders, newest first',
        querystring: z.object({
          status: z.enum(['open', 'closed', 'all']).default('open'),
          symbol: z.string().regex(/^[A-Z][A-Z0-9.]{0,9}$/).optional(),
          limit: limitQuery(500, 50),
          cursor: cursorQuery,
          clientOrderId: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/).optional(),
        }),
        response: { 200: z.object({ orders: z.array(orderBody), nextCursor: z.string().nullable() }), ...authenticatedErrors },
      },
    },
    async (request) => {
      const accountId = principalOf(request).accountId;
      const { clientOrderId, ...filter } = request.query;
      if (clientOrderId !== undefined) {
        const order = await deps.queries.findOrderByClientOrderId(accountId, clientOrderId);
        return { orders: order ? [order] : [], nextCursor: null };
      }
      const page = await deps.queries.listOrders(accountId, filter);
      return { orders: page.items, nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/v1/orders/:id',
    {
      config: { roles: TRADING_ROLES },
      schema: {
        tags: ['queries'],
        summary: 'One order',
        params: z.object({ id: z.string().max(64) }),
        response: { 200: orderBody, 404: errorBody, ...authenticatedErrors },
      },
    },
    async (request) => {
      const order = UUID.test(request.params.id) ? await deps.queries.getOrder(principalOf(request).accountId, request.params.id.toLowerCase()) : undefined;
      if (!order) throw notFound(request.params.id);
      return order;
    },
  );
};
