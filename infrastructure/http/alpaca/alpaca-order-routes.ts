import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { alpacaTimestamp } from './alpaca-query.ts';
import type { OrderRequest } from '../../../domain/order/order.ts';
import { DomainError } from '../../../domain/shared/domain-error.ts';
import { principalOf } from '../authentication.ts';
import { withPosition } from '../read-your-writes.ts';
import { commandContext, type TradingDependencies } from '../routes/trading-dependencies.ts';
import { decimalToCents, decimalToShares } from './alpaca-decimal.ts';
import { alpacaAnswer, alpacaErrorBody, NotSupportedHere } from './alpaca-errors.ts';
import { alpacaOrder } from './alpaca-model.ts';
import { symbolOf } from './alpaca-symbols.ts';

const TRADING_ROLES = ['trader', 'admin'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CLIENT_ORDER_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const amount = z.union([z.string().max(32), z.number()]);

const orderRequest = z.object({
  symbol: z.string().min(1).max(16),
  qty: amount.optional(),
  notional: amount.optional(),
  side: z.enum(['buy', 'sell']),
  type: z.string().max(20),
  time_in_force: z.string().max(10).optional(),
  limit_price: amount.nullable().optional(),
  stop_price: amount.nullable().optional(),
  trail_price: amount.nullable().optional(),
  trail_percent: amount.nullable().optional(),
  extended_hours: z.boolean().optional(),
  client_order_id: z.string().max(128).optional(),
  order_class: z.string().max(20).optional(),
  take_profit: z.unknown().optional(),
  stop_loss: z.unknown().optional(),
  legs: z.unknown().optional(),
  position_intent: z.string().max(20).optional(),
});

/** Alpaca's order body in our terms, refusing by name what this server does not trade. */
export function orderRequestFrom(body: z.infer<typeof orderRequest>): OrderRequest {
  if (body.notional !== undefined) throw new NotSupportedHere('a notional (dollar amount) order');
  if (body.order_class && body.order_class !== 'simple') throw new NotSupportedHere(`order_class ${body.order_class}`);
  if (body.take_profit !== undefined || body.stop_loss !== undefined || body.legs !== undefined) throw new NotSupportedHere('take_profit, stop_loss and legs (advanced orders)');
  if (body.extended_hours) throw new NotSupportedHere('extended_hours');
  if (body.type !== 'market' && body.type !== 'limit') {
    if (['stop', 'stop_limit', 'trailing_stop'].includes(body.type)) throw new NotSupportedHere(`order type ${body.type}`);
    throw new DomainError('invalid_order', `invalid order type ${body.type}`);
  }
  if (body.stop_price != null || body.trail_price != null || body.trail_percent != null) throw new NotSupportedHere('stop_price, trail_price and trail_percent');
  const timeInForce = body.time_in_force ?? 'day';
  if (timeInForce !== 'day' && timeInForce !== 'gtc' && timeInForce !== 'ioc' && timeInForce !== 'fok') {
    if (timeInForce === 'opg' || timeInForce === 'cls') throw new NotSupportedHere(`time_in_force ${timeInForce}`);
    throw new DomainError('invalid_order', `invalid time_in_force ${timeInForce}`);
  }
  if (body.qty === undefined) throw new DomainError('invalid_order', 'qty is required');
  const clientOrderId = body.client_order_id ?? randomUUID();
  if (!CLIENT_ORDER_ID.test(clientOrderId)) throw new NotSupportedHere('a client_order_id other than 1–64 letters, digits and ._:-');
  if (body.type === 'limit' && body.limit_price == null) throw new DomainError('invalid_order', 'limit_price is required for limit orders');
  if (body.type === 'market' && body.limit_price != null) throw new DomainError('invalid_order', 'limit_price is not allowed for market orders');
  return {
    clientOrderId,
    symbol: body.symbol.toUpperCase(),
    side: body.side,
    type: body.type,
    qty: decimalToShares(body.qty, 'qty'),
    limitPriceCents: body.limit_price == null ? null : decimalToCents(body.limit_price, 'limit_price'),
    timeInForce,
  };
}

const STATUS_FILTER = z.enum(['open', 'closed', 'all']);
const listQuery = z.object({
  status: STATUS_FILTER.default('open'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  after: alpacaTimestamp.optional(),
  until: alpacaTimestamp.optional(),
  direction: z.enum(['asc', 'desc']).default('desc'),
  nested: z.string().max(5).optional(),
  symbols: z.string().max(4_000).optional(),
  side: z.enum(['buy', 'sell']).optional(),
  asset_class: z.union([z.string(), z.array(z.string())]).optional(),
});

const iso = (value: string) => new Date(value).toISOString();

/** Alpaca's orders and position closing (`/v2/orders`, `DELETE /v2/positions`). */
export const alpacaOrderRoutes: FastifyPluginAsyncZod<TradingDependencies> = async (app, deps) => {
  const config = { roles: TRADING_ROLES };
  const tags = ['alpaca'];

  app.post('/v2/orders', { config, schema: { tags, summary: 'Submit an order (Alpaca)', body: orderRequest } }, async (request, reply) => {
    const placed = await deps.placeOrder(principalOf(request).accountId, orderRequestFrom(request.body), commandContext(request, deps.clock));
    return withPosition(reply, placed.position).code(200).send(alpacaOrder(placed.order));
  });

  app.get('/v2/orders', { config, schema: { tags, summary: 'List orders (Alpaca)', querystring: listQuery } }, async (request) => {
    const { status, limit, after, until, direction, symbols, side, asset_class: assetClass } = request.query;
    const classes = assetClass === undefined ? [] : [assetClass].flat().flatMap((value) => value.split(','));
    if (classes.length > 0 && !classes.includes('us_equity')) return [];
    const orders = await deps.searches.searchOrders(principalOf(request).accountId, {
      status,
      limit,
      direction,
      ...(after ? { after: iso(after) } : {}),
      ...(until ? { until: iso(until) } : {}),
      ...(symbols ? { symbols: symbols.split(',').map((symbol) => symbol.trim().toUpperCase()).filter(Boolean) } : {}),
      ...(side ? { side } : {}),
    });
    return orders.map(alpacaOrder);
  });

  // The colon is Alpaca's: `::` is find-my-way's escape for a literal one.
  app.get('/v2/orders::by_client_order_id', { config, schema: { tags, summary: 'Get an order by client order id (Alpaca)', querystring: z.object({ client_order_id: z.string().max(128) }) } }, async (request) => {
    const order = await deps.queries.findOrderByClientOrderId(principalOf(request).accountId, request.query.client_order_id);
    if (!order) throw new DomainError('unknown_order', 'order not found');
    return alpacaOrder(order);
  });

  app.get('/v2/orders/:order_id', { config, schema: { tags, summary: 'Get an order (Alpaca)', params: z.object({ order_id: z.string().max(64) }), querystring: z.object({ nested: z.string().max(5).optional() }) } }, async (request) => {
    const order = UUID.test(request.params.order_id) ? await deps.queries.getOrder(principalOf(request).accountId, request.params.order_id.toLowerCase()) : undefined;
    if (!order) throw new DomainError('unknown_order', 'order not found');
    return alpacaOrder(order);
  });

  app.patch('/v2/orders/:order_id', { config, schema: { tags, summary: 'Replace an order (Alpaca): not supported here' } }, async () => {
    throw new NotSupportedHere('replacing an order (PATCH /v2/orders/{order_id})');
  });

  app.delete('/v2/orders/:order_id', { config, schema: { tags, summary: 'Cancel an order (Alpaca)', params: z.object({ order_id: z.string().max(64) }) } }, async (request, reply) => {
    if (!UUID.test(request.params.order_id)) throw new DomainError('unknown_order', 'order not found');
    const canceled = await deps.cancelOrder(principalOf(request).accountId, request.params.order_id.toLowerCase(), commandContext(request, deps.clock));
    return withPosition(reply, canceled.position).code(204).send();
  });

  app.delete('/v2/orders', { config, schema: { tags, summary: 'Cancel every open order (Alpaca): 207 with each outcome' } }, async (request, reply) => {
    const attempts = await deps.cancelAllOrders(principalOf(request).accountId, commandContext(request, deps.clock));
    return reply.code(207).send(
      // Alpaca reports an order it could not cancel as a 500 of the batch.
      attempts.map((attempt) => ('order' in attempt ? { id: attempt.orderId, status: 200, body: alpacaOrder(attempt.order) } : { id: attempt.orderId, status: 500, body: alpacaErrorBody({ ...alpacaAnswer(attempt.refusal), status: 500 }) })),
    );
  });

  const closeQuery = z.object({
    qty: amount.optional(),
    percentage: z.string().max(10).regex(/^\d{1,3}(\.\d{1,2})?$/, 'a percentage like 50 or 12.5').optional(),
  });
  app.delete('/v2/positions/:symbol_or_asset_id', { config, schema: { tags, summary: 'Close a position with a market order (Alpaca)', params: z.object({ symbol_or_asset_id: z.string().max(64) }), querystring: closeQuery } }, async (request, reply) => {
    const symbol = symbolOf(deps.catalog, request.params.symbol_or_asset_id);
    if (!symbol) throw new DomainError('unknown_position', 'position does not exist');
    const { qty, percentage } = request.query;
    if (qty !== undefined && percentage !== undefined) throw new DomainError('invalid_order', 'give qty or percentage, not both');
    const basisPoints = percentage === undefined ? undefined : Math.round(Number(percentage) * 100);
    if (basisPoints !== undefined && (basisPoints <= 0 || basisPoints > 10_000)) throw new DomainError('invalid_order', 'percentage must be > 0 and ≤ 100');
    const amountToClose = qty !== undefined ? { kind: 'qty' as const, qty: decimalToShares(qty, 'qty') } : basisPoints !== undefined ? { kind: 'percentage' as const, basisPoints } : { kind: 'all' as const };
    const placed = await deps.closePosition(principalOf(request).accountId, symbol, amountToClose, commandContext(request, deps.clock));
    return withPosition(reply, placed.position).code(200).send(alpacaOrder(placed.order));
  });

  app.delete('/v2/positions', { config, schema: { tags, summary: 'Close every position (Alpaca): 207 with each closing order', querystring: z.object({ cancel_orders: z.enum(['true', 'false']).optional() }) } }, async (request, reply) => {
    const accountId = principalOf(request).accountId;
    const context = commandContext(request, deps.clock);
    if (request.query.cancel_orders === 'true') await deps.cancelAllOrders(accountId, context);
    const positions = await deps.queries.listPositions(accountId);
    const outcomes = await Promise.all(
      positions.map(async ({ symbol }) => {
        try {
          return { symbol, status: 200, body: alpacaOrder((await deps.closePosition(accountId, symbol, { kind: 'all' }, context)).order) };
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          const answer = alpacaAnswer(error);
          return { symbol, status: answer.status, body: alpacaErrorBody(answer) };
        }
      }),
    );
    return reply.code(207).send(outcomes);
  });
};
