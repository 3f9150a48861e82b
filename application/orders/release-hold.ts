import { accountDecider, accountStreamId } from '../../domain/account/account.ts';
import type { ExistingOrder } from '../../domain/order/order.ts';
import { DomainError } from '../../domain/shared/domain-error.ts';
import type { CommandContext } from '../shared/command-context.ts';
import { laterPosition, type CommandHandler } from '../shared/command-handler.ts';

export interface HoldReleased {
  readonly position: bigint | undefined;
  /** Fills recorded on the order that the ledger refused to settle (each is an anomaly). */
  readonly refused: ReadonlyArray<{ readonly executionId: string; readonly error: DomainError }>;
}

/**
 * Releases an order's hold — after settling every fill the order has recorded that the ledger has
 * not (a crash can fall between recording a fill on the order and settling it on the account, and
 * a hold released first would leave that fill nothing to settle against). Both steps use the same
 * keys as the execution path, so whichever runs first, each happens once.
 */
export async function settleFillsAndRelease(commands: CommandHandler, order: ExistingOrder, context: CommandContext): Promise<HoldReleased> {
  const { accountId, orderId } = order;
  const stream = accountStreamId(accountId);
  const account = await commands.load(accountDecider, stream);
  let position: bigint | undefined;
  const refused: Array<{ executionId: string; error: DomainError }> = [];
  for (const [executionId, fill] of Object.entries(order.executions)) {
    if (account.state.settledExecutions.has(executionId)) continue;
    try {
      const settled = await commands.handle(accountDecider, stream, { type: 'SettleFill', data: { accountId, orderId, executionId, side: order.side, symbol: order.symbol, qty: fill.qty, priceCents: fill.priceCents } }, context, `account/${accountId}/settle/${executionId}`);
      position = laterPosition(position, settled.position);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      refused.push({ executionId, error });
    }
  }
  const released = await commands.handle(accountDecider, stream, { type: 'ReleaseReservation', data: { accountId, orderId } }, context, `account/${accountId}/release/${orderId}`);
  return { position: laterPosition(position, released.position), refused };
}
