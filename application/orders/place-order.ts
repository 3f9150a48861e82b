import { orderDecider, orderStreamId, assertValidRequest, type ExistingOrder, type OrderRequest } from '../../domain/order/order.ts';
import { DomainError } from '../../domain/shared/domain-error.ts';
import { ExchangeUnavailableError, type ExchangeAvailability } from '../exchange/exchange.ts';
import type { SymbolCatalog } from '../market/market-data.ts';
import type { CommandContext } from '../shared/command-context.ts';
import { laterPosition } from '../shared/command-handler.ts';
import { RefusalWithPosition } from '../shared/refusal-with-position.ts';
import { orderIdFor } from '../shared/deterministic-ids.ts';
import { isReservationRefusal, QuoteUnavailableError, reserveOrReject, type ReservationDependencies } from './reserve-for-order.ts';
import { orderView, type OrderView } from './order-view.ts';


export { QuoteUnavailableError };

export interface PlaceOrderDependencies extends ReservationDependencies {
  readonly catalog: SymbolCatalog;
  /** While the exchange cannot take orders, none is stored only to be stuck (503). */
  readonly exchange?: ExchangeAvailability;
  /** Called between workflow steps (crash drills). */
  readonly onStep?: (step: string) => void;
}

export interface OrderPlaced {
  readonly order: OrderView;
  readonly position: bigint | undefined;
  /** False when the same request had placed this order before. */
  readonly created: boolean;
}

/**
 * The place-order workflow (seed 002, design.md): store the order `pending` on its own stream,
 * then hold cash or shares on the account stream. Both steps have deterministic event ids and
 * are idempotent, so a retry of the request — or of the workflow after a crash between the steps
 * — converges on the same order and the same single hold. Until the exchange worker exists, a
 * placed order rests in `pending`.
 */
export const placeOrder =
  (deps: PlaceOrderDependencies) =>
  async (accountId: string, request: OrderRequest, context: CommandContext): Promise<OrderPlaced> => {
    const { commands, catalog, exchange } = deps;
    if (!catalog.isListed(request.symbol)) throw new DomainError('unknown_symbol', `${request.symbol} is not listed`);
    assertValidRequest(request);
    if (exchange && !(await exchange.routable())) throw new ExchangeUnavailableError('its circuit is open; try again shortly');
    const orderId = orderIdFor(accountId, request.clientOrderId);
    const orderStream = orderStreamId(orderId);

    const placed = await commands.handle(orderDecider, orderStream, { type: 'PlaceOrder', data: { ...request, orderId, accountId } }, context, `order/${orderId}/place`);
    const order = placed.state as ExistingOrder;
    let position = placed.position;
    deps.onStep?.('order-stored');

    if (order.status === 'pending' && order.externalOrderId === null) {
      const reservation = await reserveOrReject(deps, order, context);
      position = laterPosition(position, reservation.position);
      if (reservation.refusal) throw new RefusalWithPosition(reservation.refusal, position);
    }
    if (order.status === 'rejected' && isReservationRefusal(order.rejectReason)) {
      throw new RefusalWithPosition(new DomainError(order.rejectReason, `order ${request.clientOrderId} was refused: ${order.rejectReason}`), position);
    }
    // The order as this request left it (a refused one was answered above); the worker may have
    // routed it since, which the read models and the order stream will tell.
    return {
      order: orderView(order, { createdAt: placed.createdAt!, updatedAt: placed.updatedAt!, version: Number(placed.revision) }),
      position,
      created: placed.appended.length > 0,
    };
  };
