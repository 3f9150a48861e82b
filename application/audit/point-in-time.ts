import { buyingPowerCents, type AccountState } from '../../domain/account/account.ts';
import { OPEN_STATUSES, orderDecider, orderStreamId, type OrderEvent, type OrderState } from '../../domain/order/order.ts';
import type { AccountView } from '../accounts/account-view.ts';
import type { EventStore, RecordedEvent } from '../event-store/event-store.ts';
import { orderView, type OrderView } from '../orders/order-view.ts';
import type { PositionView } from '../read-models/queries.ts';
import type { AccountOrderIndex } from './account-order-index.ts';
import {
  crossesBoundary,
  DEFAULT_SNAPSHOT_EVERY,
  EMPTY_ACCOUNT_FOLD,
  foldAccountStream,
  foldOfSnapshot,
  type AccountSnapshotStore,
} from './account-snapshots.ts';
import { cutAt, withinCut, type Cut, type Instant } from './instant.ts';

/** An account as it stood at a past moment, rebuilt from events alone. */
export interface AccountStateAt {
  readonly accountId: string;
  /** The cut the answer folds: position (never above the settled head) and, for a time, the time. */
  readonly asOf: Cut;
  readonly account: AccountView;
  /** By symbol. */
  readonly positions: readonly PositionView[];
  /** In the order they were placed. */
  readonly openOrders: readonly OrderView[];
  /** How the answer was rebuilt: for operators, benchmarks and tests, not part of the state. */
  readonly rebuiltFrom: {
    /** The account snapshot the fold started from, or null for the stream's first event. */
    readonly snapshotRevision: bigint | null;
    readonly accountEvents: number;
    readonly orderStreams: number;
    /** Log events read past the order index (placements it had not applied yet). */
    readonly scannedEvents: number;
  };
}

export interface PointInTimeDependencies {
  readonly store: EventStore;
  readonly orderIndex: AccountOrderIndex;
  /** Without snapshots every answer folds the account from its first event. */
  readonly snapshots?: AccountSnapshotStore;
  readonly snapshotEvery?: number;
  /** Told when an answer had to fold past a boundary whose snapshot is missing (or did not match). */
  readonly onSnapshotsMissing?: (accountId: string) => void;
  /** Order streams read at once. */
  readonly concurrency?: number;
}

/** When a recorded event happened by the clock of the process that decided it (as the read models say). */
function occurredAt(event: RecordedEvent): string {
  const stamped = event.metadata.occurredAt;
  return typeof stamped === 'string' ? stamped : event.recordedAt.toISOString();
}

export function positionViews(state: AccountState): PositionView[] {
  return Object.entries(state.positions)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([symbol, position]) => ({
      symbol,
      qty: position.qty,
      reservedQty: position.reservedQty,
      costBasisCents: position.costBasisCents,
      avgCostCents: position.qty === 0 ? 0 : Math.round(position.costBasisCents / position.qty),
    }));
}

export function accountViewAt(accountId: string, state: AccountState, revision: bigint): AccountView {
  return { accountId, cashCents: state.cashCents, reservedCents: state.reservedCents, buyingPowerCents: buyingPowerCents(state), version: Number(revision) };
}

interface OrderAt {
  readonly view: OrderView;
  readonly placedAt: bigint;
}

/** One order stream folded up to the cut (per stream: up to its first event past the cut). */
export function foldOrderEvents(events: readonly RecordedEvent[], cut: Cut): { state: OrderState; first?: RecordedEvent; last?: RecordedEvent } {
  let state: OrderState = orderDecider.initialState;
  let first: RecordedEvent | undefined;
  let last: RecordedEvent | undefined;
  for (const event of events) {
    if (!withinCut(event, cut)) break;
    state = orderDecider.evolve(state, { type: event.type, data: event.data } as OrderEvent);
    first ??= event;
    last = event;
  }
  return { state, ...(first ? { first } : {}), ...(last ? { last } : {}) };
}

/** The order as the API shows it, when it was open at the cut. */
export function openOrderAt(accountId: string, folded: ReturnType<typeof foldOrderEvents>): OrderAt | undefined {
  const { state, first, last } = folded;
  if (state.status === 'none' || state.accountId !== accountId || !OPEN_STATUSES.includes(state.status) || !first || !last) return undefined;
  return { view: orderView(state, { createdAt: occurredAt(first), updatedAt: occurredAt(last), version: Number(last.revision) }), placedAt: first.position };
}

async function mapConcurrently<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Point-in-time state of an account (api.md, Audit): its ledger (cash, reservations, positions)
 * and its open orders exactly as they stood at a past position or time, rebuilt from events.
 *
 * The ledger is the account stream folded up to the cut, starting from the newest snapshot
 * within the cut. Open orders are the order streams folded up to the cut; which streams to read
 * comes from the order index, from the log after the index's checkpoint, and from the holds the
 * ledger itself names. The answer equals a fold of the whole log from position 0 (the property
 * test holds it to that); snapshots and the index only make it fast.
 */
export function accountStateAt(deps: PointInTimeDependencies) {
  const { store } = deps;
  const every = deps.snapshotEvery ?? DEFAULT_SNAPSHOT_EVERY;
  const concurrency = deps.concurrency ?? 8;

  async function ledgerAt(accountId: string, cut: Cut) {
    const snapshot = await deps.snapshots?.latestWithin(accountId, cut);
    const start = snapshot ? foldOfSnapshot(snapshot) : EMPTY_ACCOUNT_FOLD;
    const folded = await foldAccountStream(store, accountId, start, { cut });
    const startRevision = folded.startRejected ? -1n : start.revision;
    if (deps.snapshots && (folded.startRejected || crossesBoundary(startRevision, folded.fold.revision, every))) deps.onSnapshotsMissing?.(accountId);
    return { folded, snapshotRevision: snapshot && !folded.startRejected ? snapshot.revision : null };
  }

  /** Placements of the account's orders in the log after `after`, up to the cut. */
  async function placedAfter(accountId: string, after: bigint, cut: Cut): Promise<{ orderIds: string[]; scanned: number }> {
    const orderIds: string[] = [];
    let scanned = 0;
    let position = after;
    while (position < cut.position) {
      const page = await store.readAll({ after: position, maxCount: 2_000 });
      if (page.length === 0) break;
      for (const event of page) {
        if (event.position > cut.position) return { orderIds, scanned };
        scanned += 1;
        const data = event.data as { accountId?: unknown; orderId?: unknown };
        if (event.type === 'OrderPlaced' && data.accountId === accountId && typeof data.orderId === 'string') orderIds.push(data.orderId);
      }
      position = page[page.length - 1]!.position;
    }
    return { orderIds, scanned };
  }

  return async (accountId: string, instant: Instant): Promise<AccountStateAt> => {
    const cut = cutAt(instant, await store.headPosition());
    const [ledger, indexed] = await Promise.all([ledgerAt(accountId, cut), deps.orderIndex.openCandidates(accountId, cut)]);
    const tail = indexed.appliedUpTo < cut.position ? await placedAfter(accountId, indexed.appliedUpTo, cut) : { orderIds: [], scanned: 0 };
    const { state, revision } = ledger.folded.fold;
    const candidates = [...new Set([...indexed.orderIds, ...tail.orderIds, ...Object.keys(state.holds)])];
    const orders = await mapConcurrently(candidates, concurrency, async (orderId) => openOrderAt(accountId, foldOrderEvents(await store.readStream(orderStreamId(orderId)), cut)));
    const openOrders = orders
      .filter((order): order is OrderAt => order !== undefined)
      .sort((a, b) => (a.placedAt < b.placedAt ? -1 : a.placedAt > b.placedAt ? 1 : 0))
      .map((order) => order.view);
    return {
      accountId,
      asOf: cut,
      account: accountViewAt(accountId, state, revision),
      positions: positionViews(state),
      openOrders,
      rebuiltFrom: { snapshotRevision: ledger.snapshotRevision, accountEvents: ledger.folded.events, orderStreams: candidates.length, scannedEvents: tail.scanned },
    };
  };
}
