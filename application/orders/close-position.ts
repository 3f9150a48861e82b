import { randomUUID } from 'node:crypto';
import { DomainError } from '../../domain/shared/domain-error.ts';
import type { ReadModelQueries } from '../read-models/queries.ts';
import type { CommandContext } from '../shared/command-context.ts';
import type { OrderPlaced, placeOrder } from './place-order.ts';

/** How much of a position to close: all the shares not already held for sells, a number of them, or a percentage. */
export type CloseAmount = { readonly kind: 'all' } | { readonly kind: 'qty'; readonly qty: number } | { readonly kind: 'percentage'; readonly basisPoints: number };

/**
 * Closes (part of) a position with a market sell of the shares not already held for other sells
 * (Alpaca's `DELETE /v2/positions/{symbol}`). A percentage rounds down to whole shares.
 */
export const closePosition =
  ({ queries, place, newClientOrderId = () => `close-${randomUUID()}` }: { queries: ReadModelQueries; place: ReturnType<typeof placeOrder>; newClientOrderId?: () => string }) =>
  async (accountId: string, symbol: string, amount: CloseAmount, context: CommandContext): Promise<OrderPlaced> => {
    const position = (await queries.listPositions(accountId)).find((held) => held.symbol === symbol);
    if (!position) throw new DomainError('unknown_position', `position does not exist: ${symbol}`);
    const available = position.qty - position.reservedQty;
    const qty = amount.kind === 'all' ? available : amount.kind === 'qty' ? amount.qty : Math.floor((position.qty * amount.basisPoints) / 10_000);
    if (qty <= 0) throw new DomainError('insufficient_position', `insufficient qty available for order (requested: ${qty}, available: ${available})`);
    if (qty > available) throw new DomainError('insufficient_position', `insufficient qty available for order (requested: ${qty}, available: ${available})`);
    return place(accountId, { clientOrderId: newClientOrderId(), symbol, side: 'sell', type: 'market', qty, limitPriceCents: null, timeInForce: 'day' }, context);
  };
