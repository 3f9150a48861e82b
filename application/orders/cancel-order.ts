import { accountDecider, accountStreamId } from '../../domain/account/account.ts';
import { isTerminal, orderDecider, orderStreamId, type ExistingOrder } from '../../domain/order/order.ts';
import { DomainError } from '../../domain/shared/domain-error.ts';
import type { CommandContext } from '../shared/command-context.ts';
import { laterPosition, type CommandHandler } from '../shared/command-handler.ts';
import { orderView, type OrderView } from './order-view.ts';
import { settleFillsAndRelease } from './release-hold.ts';

export interface OrderCancelRequested {
  readonly order: OrderView;
  readonly position: bigint | undefined;
}

/**
 * Cancel: an order that never reached the exchange ends at once and its hold is released;
 * a routed one goes to `pending_cancel` for the worker to withdraw. Another account's order is
 * `unknown_order`, never a hint that it exists. An ended order's hold left behind by a crash
 * between the two streams is released when the cancel is sent again (the reconciler also finds it).
 */
export const cancelOrder =
  ({ commands, onStep }: { commands: CommandHandler; onStep?: (step: string) => void }) =>
  async (accountId: string, orderId: string, context: CommandContext): Promise<OrderCancelRequested> => {
    const stream = orderStreamId(orderId);
    const before = await commands.load(orderDecider, stream);
    if (before.state.status === 'none' || before.state.accountId !== accountId) throw new DomainError('unknown_order', `order ${orderId} does not exist`);
    if (isTerminal(before.state.status)) {
      const account = await commands.load(accountDecider, accountStreamId(accountId));
      if (account.state.holds[orderId]) await settleFillsAndRelease(commands, before.state, context);
    }
    const requested = await commands.handle(orderDecider, stream, { type: 'RequestCancel', data: { orderId } }, context, `order/${orderId}/cancel`);
    onStep?.('cancel-stored');
    let position = requested.position;
    const order = requested.state as ExistingOrder;
    if (isTerminal(order.status)) position = laterPosition(position, (await settleFillsAndRelease(commands, order, context)).position);
    return { order: orderView(order, { createdAt: requested.createdAt!, updatedAt: requested.updatedAt!, version: Number(requested.revision) }), position };
  };
