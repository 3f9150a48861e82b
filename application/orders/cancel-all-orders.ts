import { DomainError } from '../../domain/shared/domain-error.ts';
import type { ReadModelSearches } from '../read-models/searches.ts';
import type { CommandContext } from '../shared/command-context.ts';
import type { cancelOrder } from './cancel-order.ts';
import type { OrderView } from './order-view.ts';

export type CancelAttempt = { readonly orderId: string; readonly order: OrderView } | { readonly orderId: string; readonly refusal: DomainError };

/** Asks to cancel every open order of the account; each order's outcome on its own (one refusal stops no other). */
export const cancelAllOrders =
  ({ searches, cancel }: { searches: ReadModelSearches; cancel: ReturnType<typeof cancelOrder> }) =>
  async (accountId: string, context: CommandContext): Promise<CancelAttempt[]> => {
    const open = await searches.searchOrders(accountId, { status: 'open', direction: 'asc', limit: 10_000 });
    return Promise.all(
      open
        .filter((order) => order.status !== 'pending_cancel')
        .map(async (order): Promise<CancelAttempt> => {
          try {
            return { orderId: order.id, order: (await cancel(accountId, order.id, context)).order };
          } catch (error) {
            if (error instanceof DomainError) return { orderId: order.id, refusal: error };
            throw error;
          }
        }),
    );
  };
