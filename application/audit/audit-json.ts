import type { AccountView } from '../accounts/account-view.ts';
import type { RecordedEvent } from '../event-store/event-store.ts';
import type { OrderView } from '../orders/order-view.ts';
import type { PositionView } from '../read-models/queries.ts';
import type { AccountStateAt } from './point-in-time.ts';

/**
 * The audit's answers as JSON, shared by the HTTP API and the replay tool. Positions and
 * revisions are 64-bit integers: beyond 2^53 a JSON number would round, so they are strings.
 */
export interface AuditEventJson {
  readonly position: string;
  readonly streamId: string;
  readonly revision: string;
  readonly id: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly recordedAt: string;
}

export function auditEventJson(event: RecordedEvent): AuditEventJson {
  return {
    position: event.position.toString(),
    streamId: event.streamId,
    revision: event.revision.toString(),
    id: event.id,
    type: event.type,
    data: event.data,
    metadata: event.metadata,
    recordedAt: event.recordedAt.toISOString(),
  };
}

export interface AccountStateJson {
  readonly accountId: string;
  readonly asOf: { readonly position: string; readonly time: string | null };
  readonly account: AccountView;
  readonly positions: PositionView[];
  readonly openOrders: OrderView[];
}

export function accountStateJson(state: AccountStateAt): AccountStateJson {
  return {
    accountId: state.accountId,
    asOf: { position: state.asOf.position.toString(), time: state.asOf.time ? state.asOf.time.toISOString() : null },
    account: state.account,
    positions: [...state.positions],
    openOrders: [...state.openOrders],
  };
}
