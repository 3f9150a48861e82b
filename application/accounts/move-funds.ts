import { accountDecider, accountStreamId } from '../../domain/account/account.ts';
import type { CommandContext } from '../shared/command-context.ts';
import type { CommandHandler } from '../shared/command-handler.ts';
import { accountView, type AccountView } from './account-view.ts';

export interface FundsMovement {
  readonly accountId: string;
  readonly amountCents: number;
  readonly idempotencyKey: string;
}

export interface FundsMoved {
  readonly account: AccountView;
  /** Global position of the account's last event: the request's read-your-writes token. */
  readonly position: bigint | undefined;
  /** False when the key had been used for this very request before. */
  readonly applied: boolean;
}

/** Deposits and withdrawals, idempotent by key (design.md; api.md `POST /v1/account/...`). */
export const moveFunds =
  ({ commands }: { commands: CommandHandler }) =>
  async (direction: 'deposit' | 'withdrawal', movement: FundsMovement, context: CommandContext): Promise<FundsMoved> => {
    const outcome = await commands.handle(
      accountDecider,
      accountStreamId(movement.accountId),
      { type: direction === 'deposit' ? 'DepositFunds' : 'WithdrawFunds', data: movement },
      context,
      `account/${movement.accountId}/${direction}/${movement.idempotencyKey}`,
    );
    return { account: accountView(movement.accountId, outcome), position: outcome.position, applied: outcome.appended.length > 0 };
  };
