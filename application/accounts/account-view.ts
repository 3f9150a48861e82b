import { buyingPowerCents, type AccountState } from '../../domain/account/account.ts';
import type { StreamState } from '../shared/command-handler.ts';

/** The account as the API shows it (api.md, `GET /v1/account`). */
export interface AccountView {
  readonly accountId: string;
  readonly cashCents: number;
  readonly reservedCents: number;
  readonly buyingPowerCents: number;
  /** Revision of the account stream's last event (-1 before the first). */
  readonly version: number;
}

export function accountView(accountId: string, stream: StreamState<AccountState>): AccountView {
  return {
    accountId,
    cashCents: stream.state.cashCents,
    reservedCents: stream.state.reservedCents,
    buyingPowerCents: buyingPowerCents(stream.state),
    version: Number(stream.revision),
  };
}
