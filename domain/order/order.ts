import type { Decider } from '../shared/decider.ts';
import { DomainError } from '../shared/domain-error.ts';
import { assertPositiveWhole, multiplyCents } from '../shared/money.ts';

/**
 * One order's life (design.md, seed 002): stored `pending` first, then routed to the exchange,
 * filled in parts, canceled, expired, rejected or failed. Fills are idempotent by execution id.
 */

export type OrderSide = 'buy' | 'sell';
export type OrderType = 'market' | 'limit';
export type TimeInForce = 'day' | 'gtc' | 'ioc' | 'fok';
export type OrderStatus =
  | 'pending'
  | 'submitted'
  | 'partially_filled'
  | 'filled'
  | 'pending_cancel'
  | 'canceled'
  | 'rejected'
  | 'failed'
  | 'expired';

export const TERMINAL_STATUSES: readonly OrderStatus[] = ['filled', 'canceled', 'rejected', 'failed', 'expired'];
export const OPEN_STATUSES: readonly OrderStatus[] = ['pending', 'submitted', 'partially_filled', 'pending_cancel'];

export function isTerminal(status: OrderStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** What the client asked for; the same clientOrderId must always carry the same request. */
export interface OrderRequest {
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: OrderSide;
  readonly type: OrderType;
  readonly qty: number;
  readonly limitPriceCents: number | null;
  readonly timeInForce: TimeInForce;
}

export interface PlacedOrder extends OrderRequest {
  readonly orderId: string;
  readonly accountId: string;
}

export type OrderState =
  | { readonly status: 'none' }
  | (PlacedOrder & {
      readonly status: OrderStatus;
      readonly filledQty: number;
      /** Sum of qty × price over fills: the average fill price is this / filledQty. */
      readonly filledValueCents: number;
      readonly externalOrderId: string | null;
      readonly rejectReason: string | null;
      /** Every execution recorded, by id: what the ledger must settle for this order. */
      readonly executions: Readonly<Record<string, { readonly qty: number; readonly priceCents: number }>>;
      /** The worker began sending it: from here a cancel must go through the exchange. */
      readonly routingStarted: boolean;
      /** A market order's price bound at the exchange (a buy's hold per share), once routing began. */
      readonly protectionPriceCents: number | null;
    });

export type ExistingOrder = Exclude<OrderState, { status: 'none' }>;

export const noOrder: OrderState = { status: 'none' };

export type OrderCommand =
  | { type: 'PlaceOrder'; data: PlacedOrder }
  | { type: 'RejectOrder'; data: { orderId: string; reason: string } }
  | { type: 'StartRouting'; data: { orderId: string; protectionPriceCents: number | null } }
  | { type: 'RecordSubmission'; data: { orderId: string; externalOrderId: string } }
  | { type: 'RecordFill'; data: Execution }
  | { type: 'RequestCancel'; data: { orderId: string } }
  | { type: 'ConfirmCancel'; data: { orderId: string } }
  | { type: 'ExpireOrder'; data: { orderId: string } }
  | { type: 'FailOrder'; data: { orderId: string; reason: string } };

export type OrderEvent =
  | { type: 'OrderPlaced'; data: PlacedOrder }
  | { type: 'OrderRejected'; data: { orderId: string; accountId: string; reason: string } }
  | { type: 'OrderRoutingStarted'; data: { orderId: string; accountId: string; protectionPriceCents?: number | null } }
  | { type: 'OrderSubmitted'; data: { orderId: string; accountId: string; externalOrderId: string } }
  | { type: 'OrderFillRecorded'; data: { orderId: string; accountId: string; executionId: string; qty: number; priceCents: number } }
  | { type: 'OrderCancelRequested'; data: { orderId: string; accountId: string } }
  | { type: 'OrderCanceled'; data: { orderId: string; accountId: string } }
  | { type: 'OrderExpired'; data: { orderId: string; accountId: string } }
  | { type: 'OrderFailed'; data: { orderId: string; accountId: string; reason: string } };

/** A fill as the exchange reports it, before it is checked against the order. */
export interface Execution {
  readonly orderId: string;
  readonly executionId: string;
  readonly symbol: string;
  readonly side: OrderSide;
  readonly qty: number;
  readonly priceCents: number;
}

export function orderStreamId(orderId: string): string {
  return `order-${orderId}`;
}

export function sameRequest(a: OrderRequest, b: OrderRequest): boolean {
  return (
    a.clientOrderId === b.clientOrderId &&
    a.symbol === b.symbol &&
    a.side === b.side &&
    a.type === b.type &&
    a.qty === b.qty &&
    a.limitPriceCents === b.limitPriceCents &&
    a.timeInForce === b.timeInForce
  );
}

/** The most shares one order may ask for, on every face (a bound on what a hold must write down). */
export const MAX_ORDER_QTY = 1_000_000_000;

/** The request's own rules, before any state is consulted. */
export function assertValidRequest(request: OrderRequest): void {
  assertPositiveWhole(request.qty, 'qty');
  if (request.qty > MAX_ORDER_QTY) throw new DomainError('invalid_order', `qty may be at most ${MAX_ORDER_QTY}`);
  if (request.type === 'limit') {
    if (request.limitPriceCents === null) throw new DomainError('invalid_order', 'a limit order needs limitPriceCents');
    assertPositiveWhole(request.limitPriceCents, 'limitPriceCents');
    multiplyCents(request.qty, request.limitPriceCents);
  } else if (request.limitPriceCents !== null) {
    throw new DomainError('invalid_order', 'a market order takes no limitPriceCents');
  }
}

function existing(state: OrderState, orderId: string): ExistingOrder {
  if (state.status === 'none') throw new DomainError('unknown_order', `order ${orderId} does not exist`);
  return state;
}

function place(data: PlacedOrder, state: OrderState): OrderEvent[] {
  if (state.status !== 'none') {
    if (sameRequest(state, data)) return [];
    throw new DomainError('idempotency_conflict', `clientOrderId ${data.clientOrderId} was used for a different order`);
  }
  assertValidRequest(data);
  return [{ type: 'OrderPlaced', data }];
}

/** Refused before the exchange accepted it: by us, or by the exchange (also while a cancel waits on it). */
function reject(data: { orderId: string; reason: string }, state: OrderState): OrderEvent[] {
  const order = existing(state, data.orderId);
  if (order.status === 'rejected') return [];
  const unaccepted = order.status === 'pending' || (order.status === 'pending_cancel' && order.externalOrderId === null);
  if (!unaccepted) throw new DomainError('invalid_order', `order ${data.orderId} is ${order.status} and can no longer be rejected`);
  return [{ type: 'OrderRejected', data: { orderId: order.orderId, accountId: order.accountId, reason: data.reason } }];
}

/**
 * The worker marks an order before it calls the exchange. Appended with the order's revision,
 * it races a cancel fairly: whichever lands first decides whether the cancel is local (never
 * sent) or must withdraw the order from the exchange.
 */
function startRouting(data: { orderId: string; protectionPriceCents: number | null }, state: OrderState): OrderEvent[] {
  const order = existing(state, data.orderId);
  if (order.status !== 'pending' || order.routingStarted) return [];
  return [{ type: 'OrderRoutingStarted', data: { orderId: order.orderId, accountId: order.accountId, protectionPriceCents: data.protectionPriceCents } }];
}

function recordSubmission(data: { orderId: string; externalOrderId: string }, state: OrderState): OrderEvent[] {
  const order = existing(state, data.orderId);
  if (order.externalOrderId !== null) return [];
  if (order.status !== 'pending' && order.status !== 'pending_cancel') return [];
  return [{ type: 'OrderSubmitted', data: { orderId: order.orderId, accountId: order.accountId, externalOrderId: data.externalOrderId } }];
}

/** The price an execution of this order may not go past: its limit, or a market order's protection. */
function priceBound(order: ExistingOrder): number | null {
  return order.type === 'limit' ? order.limitPriceCents : order.protectionPriceCents;
}

/**
 * The exchange is a peer we do not trust: an execution is recorded only when it is one this
 * order can have — its symbol and side, no more than is left, no worse than its price bound,
 * while it is working.
 */
export function checkExecution(execution: Execution, state: OrderState): void {
  const order = existing(state, execution.orderId);
  if (!['submitted', 'partially_filled', 'pending_cancel'].includes(order.status)) {
    throw new DomainError('order_not_fillable', `order ${execution.orderId} is ${order.status}`);
  }
  if (execution.symbol !== order.symbol || execution.side !== order.side) {
    throw new DomainError('execution_mismatch', `an execution of a ${execution.side} of ${execution.symbol} names a ${order.side} of ${order.symbol}`);
  }
  assertPositiveWhole(execution.qty, 'qty');
  assertPositiveWhole(execution.priceCents, 'price');
  if (order.filledQty + execution.qty > order.qty) throw new DomainError('overfill', `order ${execution.orderId} has ${order.qty - order.filledQty} shares left`);
  const bound = priceBound(order);
  if (bound !== null && (order.side === 'buy' ? execution.priceCents > bound : execution.priceCents < bound)) {
    throw new DomainError('fill_through_limit', `a ${order.side} at ${execution.priceCents} goes through the order's bound of ${bound}`);
  }
}

function recordFill(execution: Execution, state: OrderState): OrderEvent[] {
  const order = existing(state, execution.orderId);
  if (execution.executionId in order.executions) return [];
  checkExecution(execution, state);
  const { orderId, executionId, qty, priceCents } = execution;
  return [{ type: 'OrderFillRecorded', data: { orderId, accountId: order.accountId, executionId, qty, priceCents } }];
}

function requestCancel(data: { orderId: string }, state: OrderState): OrderEvent[] {
  const order = existing(state, data.orderId);
  if (order.status === 'pending_cancel') return [];
  if (isTerminal(order.status)) throw new DomainError('order_not_cancelable', `order ${data.orderId} is already ${order.status}`);
  const ids = { orderId: order.orderId, accountId: order.accountId };
  // Never sent: nothing to withdraw from the exchange.
  if (order.status === 'pending' && !order.routingStarted) return [{ type: 'OrderCanceled', data: ids }];
  return [{ type: 'OrderCancelRequested', data: ids }];
}

function closeOpenOrder(type: 'OrderCanceled' | 'OrderExpired', data: { orderId: string }, state: OrderState): OrderEvent[] {
  const order = existing(state, data.orderId);
  if (isTerminal(order.status)) return [];
  return [{ type, data: { orderId: order.orderId, accountId: order.accountId } }];
}

function fail(data: { orderId: string; reason: string }, state: OrderState): OrderEvent[] {
  const order = existing(state, data.orderId);
  if (isTerminal(order.status)) return [];
  return [{ type: 'OrderFailed', data: { orderId: order.orderId, accountId: order.accountId, reason: data.reason } }];
}

export function decide(command: OrderCommand, state: OrderState): OrderEvent[] {
  switch (command.type) {
    case 'PlaceOrder':
      return place(command.data, state);
    case 'RejectOrder':
      return reject(command.data, state);
    case 'StartRouting':
      return startRouting(command.data, state);
    case 'RecordSubmission':
      return recordSubmission(command.data, state);
    case 'RecordFill':
      return recordFill(command.data, state);
    case 'RequestCancel':
      return requestCancel(command.data, state);
    case 'ConfirmCancel':
      return closeOpenOrder('OrderCanceled', command.data, state);
    case 'ExpireOrder':
      return closeOpenOrder('OrderExpired', command.data, state);
    case 'FailOrder':
      return fail(command.data, state);
    default: {
      const unknown: never = command;
      throw new Error(`unknown order command ${JSON.stringify(unknown)}`);
    }
  }
}

export function evolve(state: OrderState, event: OrderEvent): OrderState {
  if (event.type === 'OrderPlaced') {
    return { ...event.data, status: 'pending', filledQty: 0, filledValueCents: 0, externalOrderId: null, rejectReason: null, executions: {}, routingStarted: false, protectionPriceCents: null };
  }
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'OrderRejected':
      return { ...state, status: 'rejected', rejectReason: event.data.reason };
    case 'OrderRoutingStarted':
      return { ...state, routingStarted: true, protectionPriceCents: event.data.protectionPriceCents ?? null };
    case 'OrderSubmitted':
      return { ...state, externalOrderId: event.data.externalOrderId, status: state.status === 'pending' ? 'submitted' : state.status };
    case 'OrderFillRecorded': {
      const filledQty = state.filledQty + event.data.qty;
      const status: OrderStatus = filledQty === state.qty ? 'filled' : state.status === 'pending_cancel' ? 'pending_cancel' : 'partially_filled';
      return {
        ...state,
        status,
        filledQty,
        filledValueCents: state.filledValueCents + event.data.qty * event.data.priceCents,
        executions: { ...state.executions, [event.data.executionId]: { qty: event.data.qty, priceCents: event.data.priceCents } },
      };
    }
    case 'OrderCancelRequested':
      return { ...state, status: 'pending_cancel' };
    case 'OrderCanceled':
      return { ...state, status: 'canceled' };
    case 'OrderExpired':
      return { ...state, status: 'expired' };
    case 'OrderFailed':
      return { ...state, status: 'failed', rejectReason: event.data.reason };
    default:
      return state;
  }
}

export const orderDecider: Decider<OrderCommand, OrderEvent, OrderState> = { initialState: noOrder, decide, evolve };

/** Average fill price in whole cents (rounded half up), or null before the first fill. */
export function averageFillPriceCents(order: ExistingOrder): number | null {
  return order.filledQty === 0 ? null : Math.round(order.filledValueCents / order.filledQty);
}
