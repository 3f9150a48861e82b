import type { EventStore, RecordedEvent } from '../../application/event-store/event-store.ts';
import { orderView, type OrderView } from '../../application/orders/order-view.ts';
import { accountDecider, accountStreamId, buyingPowerCents, type AccountEvent } from '../../domain/account/account.ts';
import { OPEN_STATUSES, orderDecider, type OrderEvent, type OrderState } from '../../domain/order/order.ts';

/**
 * The reference the audit's point-in-time answers are held to: the whole log read from
 * position 0 and folded, each stream up to its first event past the cut, with no snapshot and
 * no index. Written apart from the service on purpose.
 */
export interface NaiveCut {
  readonly position: bigint;
  readonly time?: Date;
}

export interface NaiveAccountState {
  readonly accountId: string;
  readonly account: { accountId: string; cashCents: number; reservedCents: number; buyingPowerCents: number; version: number };
  readonly positions: Array<{ symbol: string; qty: number; reservedQty: number; avgCostCents: number; costBasisCents: number }>;
  readonly openOrders: OrderView[];
}

export async function readWholeLog(store: EventStore): Promise<RecordedEvent[]> {
  const log: RecordedEvent[] = [];
  for (let after = -1n; ; ) {
    const page = await store.readAll({ after, maxCount: 4_096 });
    if (page.length === 0) return log;
    log.push(...page);
    after = page[page.length - 1]!.position;
  }
}

const included = (event: RecordedEvent, cut: NaiveCut): boolean =>
  event.position <= cut.position && (cut.time === undefined || event.recordedAt.getTime() <= cut.time.getTime());

const occurred = (event: RecordedEvent): string => (typeof event.metadata.occurredAt === 'string' ? event.metadata.occurredAt : event.recordedAt.toISOString());

export function stateFromZero(log: readonly RecordedEvent[], accountId: string, cut: NaiveCut): NaiveAccountState {
  const accountStream = accountStreamId(accountId);
  let account = accountDecider.initialState;
  let version = -1;
  const stopped = new Set<string>();
  const orders = new Map<string, { state: OrderState; first: RecordedEvent; last: RecordedEvent }>();
  for (const event of log) {
    if (stopped.has(event.streamId)) continue;
    const isAccount = event.streamId === accountStream;
    if (!isAccount && !event.streamId.startsWith('order-')) continue;
    if (!included(event, cut)) {
      stopped.add(event.streamId);
      continue;
    }
    if (isAccount) {
      account = accountDecider.evolve(account, { type: event.type, data: event.data } as AccountEvent);
      version = Number(event.revision);
      continue;
    }
    const current = orders.get(event.streamId);
    const state = orderDecider.evolve(current?.state ?? orderDecider.initialState, { type: event.type, data: event.data } as OrderEvent);
    orders.set(event.streamId, { state, first: current?.first ?? event, last: event });
  }
  const openOrders = [...orders.values()]
    .filter(({ state }) => state.status !== 'none' && state.accountId === accountId && OPEN_STATUSES.includes(state.status))
    .sort((a, b) => (a.first.position < b.first.position ? -1 : 1))
    .map(({ state, first, last }) => orderView(state as Exclude<OrderState, { status: 'none' }>, { createdAt: occurred(first), updatedAt: occurred(last), version: Number(last.revision) }));
  const positions = Object.keys(account.positions)
    .sort()
    .map((symbol) => {
      const { qty, reservedQty, costBasisCents } = account.positions[symbol]!;
      return { symbol, qty, reservedQty, costBasisCents, avgCostCents: qty === 0 ? 0 : Math.round(costBasisCents / qty) };
    });
  return {
    accountId,
    account: { accountId, cashCents: account.cashCents, reservedCents: account.reservedCents, buyingPowerCents: buyingPowerCents(account), version },
    positions,
    openOrders,
  };
}
