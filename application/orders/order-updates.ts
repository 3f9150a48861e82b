import type { OrderEvent } from '../../domain/order/order.ts';
import type { OrderView } from './order-view.ts';

/**
 * Live order updates, one per order event: the order as it stood after the event, what happened
 * in the vocabulary of Alpaca's `trade_updates` (which brokers' clients already speak), and for a
 * fill the execution and the position it left. Pure: the projector hands in what it folded.
 */

export const TRADE_UPDATE_EVENTS = ['pending_new', 'new', 'partial_fill', 'fill', 'pending_cancel', 'canceled', 'expired', 'rejected'] as const;
export type TradeUpdateEvent = (typeof TRADE_UPDATE_EVENTS)[number];

export interface OrderFill {
  readonly executionId: string;
  readonly qty: number;
  readonly priceCents: number;
  /** The account's shares of the symbol after this fill. */
  readonly positionQty: number;
}

export interface OrderUpdate {
  /** The order as it stood right after the event. */
  readonly order: OrderView;
  /** What happened, or null for a change no trade update names (routing started). */
  readonly event: TradeUpdateEvent | null;
  /** When the event happened (ISO-8601, by the deciding process's clock). */
  readonly at: string;
  readonly fill?: OrderFill;
}

/** One order event as the orders projection applied it. */
export interface AppliedOrderEvent {
  readonly type: string;
  readonly data: unknown;
  readonly at: string;
  readonly order: OrderView;
}

/** One account (and symbol) whose position a fill update still needs. */
export interface PositionKey {
  readonly accountId: string;
  readonly symbol: string;
}

/** The key a settlement and the fill it settles share. */
export const executionKey = (orderId: string, executionId: string): string => `${orderId}/${executionId}`;
export const positionKey = ({ accountId, symbol }: PositionKey): string => `${accountId}/${symbol}`;

/** Alpaca's name for an order event, from the event and the order it left. */
export function tradeUpdateEvent(type: string, order: OrderView): TradeUpdateEvent | null {
  switch (type as OrderEvent['type']) {
    case 'OrderPlaced':
      return 'pending_new';
    case 'OrderSubmitted':
      // Submitted after a cancel was asked for: the order stays pending_cancel, nothing new to say.
      return order.status === 'submitted' ? 'new' : null;
    case 'OrderFillRecorded':
      return order.filledQty >= order.qty ? 'fill' : 'partial_fill';
    case 'OrderCancelRequested':
      return 'pending_cancel';
    case 'OrderCanceled':
      return 'canceled';
    case 'OrderExpired':
      return 'expired';
    case 'OrderRejected':
    case 'OrderFailed':
      return 'rejected';
    default:
      return null;
  }
}

type FillData = { orderId: string; executionId: string; qty: number; priceCents: number };

const fillOf = (applied: AppliedOrderEvent): FillData | undefined => (applied.type === 'OrderFillRecorded' ? (applied.data as FillData) : undefined);

/**
 * The positions a batch's fill updates must read after the batch: those of fills whose settlement
 * is not in the batch (the worker settles a fill on the account right after recording it on the
 * order, so the settlement is later in the log, often in the next batch).
 */
export function positionsToRead(applied: readonly AppliedOrderEvent[], settled: ReadonlyMap<string, number>): PositionKey[] {
  const keys = new Map<string, PositionKey>();
  for (const event of applied) {
    const fill = fillOf(event);
    if (!fill || settled.has(executionKey(fill.orderId, fill.executionId))) continue;
    const key = { accountId: event.order.accountId, symbol: event.order.symbol };
    keys.set(positionKey(key), key);
  }
  return [...keys.values()];
}

/**
 * One update per applied order event, in log order. A fill's `positionQty` is exact when its
 * settlement is in the same batch (`settled`: the position right after each settlement, by
 * execution key); otherwise it is the position after the batch plus (or, for a sell, minus) the
 * fill — exact unless another fill of the same account and symbol settles in between.
 */
export function orderUpdatesOf(applied: readonly AppliedOrderEvent[], settled: ReadonlyMap<string, number>, positionsAfterBatch: ReadonlyMap<string, number>): OrderUpdate[] {
  return applied.map((event) => {
    const update: OrderUpdate = { order: event.order, event: tradeUpdateEvent(event.type, event.order), at: event.at };
    const fill = fillOf(event);
    if (!fill) return update;
    const exact = settled.get(executionKey(fill.orderId, fill.executionId));
    const signed = event.order.side === 'buy' ? fill.qty : -fill.qty;
    const positionQty = exact ?? (positionsAfterBatch.get(positionKey(event.order)) ?? 0) + signed;
    return { ...update, fill: { executionId: fill.executionId, qty: fill.qty, priceCents: fill.priceCents, positionQty } };
  });
}
