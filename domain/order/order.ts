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
      readonly executions: Readonly<Record<string, true>>;
      /** The worker began sending it: from here a cancel must go through the exchange. */
      readonly routingStarted: boolean;
    });

export type ExistingOrder = Exclude<OrderState, { status: 'none' }>;

export const noOrder: OrderState = { status: 'none' };

export type OrderCommand =
  | { type: 'PlaceOrder'; data: PlacedOrder }
  | { type: 'RejectOrder'; data: { orderId: string; reason: string } }
  | { type: 'StartRouting'; data: { orderId: string } }
  | { type: 'RecordSubmission'; data: { orderId: string; externalOrderId: string } }
  | { type: 'RecordFill'; data: { orderId: string; executionId: string; qty: number; priceCents: number } }
  | { type: 'RequestCancel'; data: { orderId: string } }
  | { type: 'ConfirmCancel'; data: { orderId: string } }
  | { type: 'ExpireOrder'; data: { orderId: string } }
  | { type: 'FailOrder'; data: { orderId: string; reason: string } };

export type OrderEvent =
  | { type: 'OrderPlaced'; data: PlacedOrder }
  | { type: 'OrderRejected'; data: { orderId: string; accountId: string; reason: string } }
  | { type: 'OrderRoutingStarted'; data: { orderId: string; accountId: string } }
  | { type: 'OrderSubmitted'; data: { orderId: string; accountId: string; externalOrderId: string } }
  | { type: 'OrderFillRecorded'; data: { orderId: string; accountId: string; executionId: string; qty: number; priceCents: number } }
  | { type: 'OrderCancelRequested'; data: { orderId: string; accountId: string } }
  | { type: 'OrderCanceled'; data: { orderId: string; accountId: string } }
  | { type: 'OrderExpired'; data: { orderId: string; accountId: string } }
  | { type: 'OrderFailed'; data: { orderId: string; accountId: string; reason: string } };

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

/** The request's own rules, before any state is consulted. */
export function assertValidRequest(request: OrderRequest): void {
  assertPositiveWhole(request.qty, 'qty');
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

function reject(data: { orderId: string; reason: string }, state: OrderState): OrderEvent[] {
  const order = existing(state, data.orderId);
  if (order.status === 'rejected') return [];
  if (order.status !== 'pending') throw new DomainError('invalid_order', `order ${data.orderId} is ${order.status} and can no longer be rejected`);
  return [{ type: 'OrderRejected', data: { orderId: order.orderId, accountId: order.accountId, reason: data.reason } }];
}

/**
 * The worker marks an order before it calls the exchange. Appended with the order's revision,
 * it races a cancel fairly: whichever lands first decides whether the cancel is local (never
 * sent) or must withdraw the order from the exchange.
 */
function startRouting(data: { orderId: string }, state: OrderState): OrderEvent[] {
  const order = existing(state, data.orderId);
  if (order.status !== 'pending' || order.routingStarted) return [];
  return [{ type: 'OrderRoutingStarted', data: { orderId: order.orderId, accountId: order.accountId } }];
}

function recordSubmission(data: { orderId: string; externalOrderId: string }, state: OrderState): OrderEvent[] {
  const order = existing(state, data.orderId);
  if (order.externalOrderId !== null) return [];
  if (order.status !== 'pending' && order.status !== 'pending_cancel') return [];
  return [{ type: 'OrderSubmitted', data: { orderId: order.orderId, accountId: order.accountId, externalOrderId: data.externalOrderId } }];
}

function recordFill(data: { orderId: string; executionId: string; qty: number; priceCents: number }, state: OrderState): OrderEvent[] {
  const order = existing(state, data.orderId);
  if (data.executionId in order.executions) return [];
  if (!['submitted', 'partially_filled', 'pending_cancel'].includes(order.status)) {
    throw new DomainError('order_not_fillable', `order ${data.orderId} is ${order.status}`);
  }
  assertPositiveWhole(data.qty, 'qty');
  assertPositiveWhole(data.priceCents, 'price');
  if (order.filledQty + data.qty > order.qty) throw new DomainError('overfill', `order ${data.orderId} has ${order.qty - order.filledQty} shares left`);
  return [{ type: 'OrderFillRecorded', data: { ...data, accountId: order.accountId } }];
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
    return { ...event.data, status: 'pending', filledQty: 0, filledValueCents: 0, externalOrderId: null, rejectReason: null, executions: {}, routingStarted: false };
  }
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'OrderRejected':
      return { ...state, status: 'rejected', rejectReason: event.data.reason };
    case 'OrderRoutingStarted':
      return { ...state, routingStarted: true };
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
        executions: { ...state.executions, [event.data.executionId]: true },
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
