import { accountDecider, accountStreamId, type AccountCommand } from '../../domain/account/account.ts';
import { orderDecider, orderStreamId, type ExistingOrder } from '../../domain/order/order.ts';
import { DomainError } from '../../domain/shared/domain-error.ts';
import { withCollar } from '../../domain/shared/money.ts';
import type { QuoteSource } from '../market/market-data.ts';
import type { CommandContext } from '../shared/command-context.ts';
import { laterPosition, type CommandHandler, type CommandOutcome } from '../shared/command-handler.ts';

/**
 * Reservation failures that are the client's answer, on the first request and on every retry:
 * not enough money or shares, or an order whose hold cannot be written down (too large).
 */
export const RESERVATION_REFUSALS = ['insufficient_buying_power', 'insufficient_position', 'invalid_order', 'invalid_amount'] as const;

export function isReservationRefusal(reason: string | null): reason is (typeof RESERVATION_REFUSALS)[number] {
  return RESERVATION_REFUSALS.includes(reason as (typeof RESERVATION_REFUSALS)[number]);
}

export class QuoteUnavailableError extends Error {
  readonly code = 'quote_unavailable';
  constructor(symbol: string) {
    super(`no quote for ${symbol} is available to price a market buy`);
    this.name = 'QuoteUnavailableError';
  }
}

export interface ReservationDependencies {
  readonly commands: CommandHandler;
  readonly quotes: QuoteSource;
  /** Market buys hold ask × (1 + collar); 500 basis points by default (design.md, invariant 2). */
  readonly marketCollarBasisPoints: number;
}

/**
 * The hold an order needs before it may reach the exchange: qty × limit for a limit buy,
 * qty × ask × (1 + collar) for a market buy, the shares for a sell. Idempotent per order, so the
 * placement and the reconciler may both run it.
 */
export async function reserveForOrder(
  { commands, quotes, marketCollarBasisPoints }: ReservationDependencies,
  order: ExistingOrder,
  context: CommandContext,
): Promise<CommandOutcome<unknown, unknown>> {
  const { accountId, orderId, symbol, qty } = order;
  let command: AccountCommand;
  if (order.side === 'sell') {
    command = { type: 'ReserveForSell', data: { accountId, orderId, symbol, qty } };
  } else {
    let perShareCents = order.limitPriceCents;
    if (perShareCents === null) {
      const quote = await quotes.latest(symbol);
      if (!quote) throw new QuoteUnavailableError(symbol);
      perShareCents = withCollar(quote.askCents, marketCollarBasisPoints);
    }
    command = { type: 'ReserveForBuy', data: { accountId, orderId, symbol, qty, perShareCents } };
  }
  return commands.handle(accountDecider, accountStreamId(accountId), command, context, `account/${accountId}/reserve/${orderId}`) as Promise<CommandOutcome<unknown, unknown>>;
}

/**
 * The hold, or — when the account refuses it, for whatever reason the domain gives — the order
 * rejected with the reason and its hold closed, so no later retry holds for it and nothing is left
 * open to be retried. Returns the refusal, if any, and the position of the last event written.
 */
export async function reserveOrReject(
  deps: ReservationDependencies,
  order: ExistingOrder,
  context: CommandContext,
): Promise<{ refusal: DomainError | undefined; position: bigint | undefined }> {
  const { commands } = deps;
  const { accountId, orderId } = order;
  try {
    const reserved = await reserveForOrder(deps, order, context);
    return { refusal: undefined, position: reserved.position };
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    const rejected = await commands.handle(orderDecider, orderStreamId(orderId), { type: 'RejectOrder', data: { orderId, reason: error.code } }, context, `order/${orderId}/reject`);
    const closed = await commands.handle(accountDecider, accountStreamId(accountId), { type: 'ReleaseReservation', data: { accountId, orderId } }, context, `account/${accountId}/release/${orderId}`);
    return { refusal: rejected.state.status === 'rejected' ? error : undefined, position: laterPosition(rejected.position, closed.position) };
  }
}
