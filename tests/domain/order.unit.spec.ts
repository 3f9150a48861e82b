import { describe, it } from 'vitest';
import { orderDecider, type OrderEvent, type PlacedOrder } from '../../domain/order/order.ts';
import { deciderSpecification } from '../support/decider-specification.ts';

const { given } = deciderSpecification(orderDecider);
const orderId = 'o1';
const accountId = 'a1';
const ids = { orderId, accountId };
const request: PlacedOrder = { orderId, accountId, clientOrderId: 'c1', symbol: 'AAPL', side: 'buy', type: 'limit', qty: 10, limitPriceCents: 15_000, timeInForce: 'day' };
const placed: OrderEvent = { type: 'OrderPlaced', data: request };
const submitted: OrderEvent = { type: 'OrderSubmitted', data: { ...ids, externalOrderId: 'ex-1' } };
const filled = (executionId: string, qty: number, priceCents = 14_900): OrderEvent => ({ type: 'OrderFillRecorded', data: { ...ids, executionId, qty, priceCents } });

describe('order life', () => {
  describe('placing', () => {
    it('stores a new order as pending', () => {
      given().when({ type: 'PlaceOrder', data: request }).then([placed]);
    });
    it('does nothing for the same request again', () => {
      given([placed]).when({ type: 'PlaceOrder', data: request }).thenNothingHappens();
    });
    it('refuses the same clientOrderId with another payload', () => {
      given([placed]).when({ type: 'PlaceOrder', data: { ...request, qty: 11 } }).thenThrows('idempotency_conflict');
    });
    it.each([
      ['a limit order without a limit price', { limitPriceCents: null }],
      ['a market order with a limit price', { type: 'market' as const }],
      ['a zero quantity', { qty: 0 }],
      ['a fractional quantity', { qty: 1.5 }],
      ['a negative limit price', { limitPriceCents: -1 }],
    ])('refuses %s', (_, change) => {
      given().when({ type: 'PlaceOrder', data: { ...request, ...change } }).thenThrows('invalid_order');
    });
  });

  describe('when pending', () => {
    it('is rejected with a reason', () => {
      given([placed]).when({ type: 'RejectOrder', data: { orderId, reason: 'insufficient_buying_power' } }).then([{ type: 'OrderRejected', data: { ...ids, reason: 'insufficient_buying_power' } }]);
    });
    it('records the exchange accepting it', () => {
      given([placed]).when({ type: 'RecordSubmission', data: { orderId, externalOrderId: 'ex-1' } }).then([submitted]);
    });
    it('is canceled at once when it never reached the exchange', () => {
      given([placed]).when({ type: 'RequestCancel', data: { orderId } }).then([{ type: 'OrderCanceled', data: ids }]);
    });
    it('is marked before it is sent, once', () => {
      given([placed]).when({ type: 'StartRouting', data: { orderId, protectionPriceCents: null } }).then([{ type: 'OrderRoutingStarted', data: { ...ids, protectionPriceCents: null } }]);
      given([placed, { type: 'OrderRoutingStarted', data: { ...ids, protectionPriceCents: null } }]).when({ type: 'StartRouting', data: { orderId, protectionPriceCents: null } }).thenNothingHappens();
    });
    it('goes to pending_cancel when its sending has begun (the exchange may have it)', () => {
      given([placed, { type: 'OrderRoutingStarted', data: { ...ids, protectionPriceCents: null } }]).when({ type: 'RequestCancel', data: { orderId } }).then([{ type: 'OrderCancelRequested', data: ids }]);
    });
    it('is not marked for sending once canceled', () => {
      given([placed, { type: 'OrderCanceled', data: ids }]).when({ type: 'StartRouting', data: { orderId, protectionPriceCents: null } }).thenNothingHappens();
    });
    it('cannot be filled before the exchange accepted it', () => {
      given([placed]).when({ type: 'RecordFill', data: { orderId, executionId: 'x1', symbol: 'AAPL', side: 'buy', qty: 1, priceCents: 100 } }).thenThrows('order_not_fillable');
    });
  });

  describe('when submitted', () => {
    it('records a partial fill', () => {
      given([placed, submitted]).when({ type: 'RecordFill', data: { orderId, executionId: 'x1', symbol: 'AAPL', side: 'buy', qty: 4, priceCents: 14_900 } }).then([filled('x1', 4)]);
    });
    it('asks the exchange to cancel', () => {
      given([placed, submitted]).when({ type: 'RequestCancel', data: { orderId } }).then([{ type: 'OrderCancelRequested', data: ids }]);
    });
    it('can no longer be rejected', () => {
      given([placed, submitted]).when({ type: 'RejectOrder', data: { orderId, reason: 'late' } }).thenThrows('invalid_order');
    });
    it('records the submission once', () => {
      given([placed, submitted]).when({ type: 'RecordSubmission', data: { orderId, externalOrderId: 'ex-1' } }).thenNothingHappens();
    });
    it('expires', () => {
      given([placed, submitted]).when({ type: 'ExpireOrder', data: { orderId } }).then([{ type: 'OrderExpired', data: ids }]);
    });
    it('fails with a reason', () => {
      given([placed, submitted]).when({ type: 'FailOrder', data: { orderId, reason: 'exchange lost it' } }).then([{ type: 'OrderFailed', data: { ...ids, reason: 'exchange lost it' } }]);
    });
  });

  describe('when partially filled', () => {
    const history = [placed, submitted, filled('x1', 4)];
    it('records each execution once', () => {
      given(history).when({ type: 'RecordFill', data: { orderId, executionId: 'x1', symbol: 'AAPL', side: 'buy', qty: 4, priceCents: 14_900 } }).thenNothingHappens();
    });
    it('refuses a fill beyond the quantity', () => {
      given(history).when({ type: 'RecordFill', data: { orderId, executionId: 'x2', symbol: 'AAPL', side: 'buy', qty: 7, priceCents: 14_900 } }).thenThrows('overfill');
    });
    it('can still be filled while a cancel is pending', () => {
      given([...history, { type: 'OrderCancelRequested', data: ids }]).when({ type: 'RecordFill', data: { orderId, executionId: 'x2', symbol: 'AAPL', side: 'buy', qty: 6, priceCents: 14_800 } }).then([filled('x2', 6, 14_800)]);
    });
  });

  describe('when pending cancel', () => {
    const history = [placed, submitted, { type: 'OrderCancelRequested', data: ids } as OrderEvent];
    it('is canceled when the exchange confirms', () => {
      given(history).when({ type: 'ConfirmCancel', data: { orderId } }).then([{ type: 'OrderCanceled', data: ids }]);
    });
    it('takes a second cancel request as the first', () => {
      given(history).when({ type: 'RequestCancel', data: { orderId } }).thenNothingHappens();
    });
  });

  describe('when ended', () => {
    it.each([
      ['filled', [placed, submitted, filled('x1', 10)]],
      ['canceled', [placed, { type: 'OrderCanceled', data: ids } as OrderEvent]],
      ['rejected', [placed, { type: 'OrderRejected', data: { ...ids, reason: 'r' } } as OrderEvent]],
      ['expired', [placed, submitted, { type: 'OrderExpired', data: ids } as OrderEvent]],
    ])('cannot be canceled once %s', (_, history) => {
      given(history).when({ type: 'RequestCancel', data: { orderId } }).thenThrows('order_not_cancelable');
    });
    it('ignores a late submission', () => {
      given([placed, { type: 'OrderCanceled', data: ids }]).when({ type: 'RecordSubmission', data: { orderId, externalOrderId: 'ex-late' } }).thenNothingHappens();
    });
    it('ignores a late failure', () => {
      given([placed, { type: 'OrderCanceled', data: ids }]).when({ type: 'FailOrder', data: { orderId, reason: 'late' } }).thenNothingHappens();
    });
    it('ignores a late expiry', () => {
      given([placed, submitted, filled('x1', 10)]).when({ type: 'ExpireOrder', data: { orderId } }).thenNothingHappens();
    });
    it('cannot be filled once canceled', () => {
      given([placed, submitted, { type: 'OrderCancelRequested', data: ids }, { type: 'OrderCanceled', data: ids }])
        .when({ type: 'RecordFill', data: { orderId, executionId: 'x9', symbol: 'AAPL', side: 'buy', qty: 1, priceCents: 1 } })
        .thenThrows('order_not_fillable');
    });
  });

  describe('an execution from the exchange, checked against the order', () => {
    const fill = (change: Partial<{ symbol: string; side: 'buy' | 'sell'; qty: number; priceCents: number }>) => ({
      type: 'RecordFill' as const,
      data: { orderId, executionId: 'x1', symbol: 'AAPL', side: 'buy' as const, qty: 1, priceCents: 15_000, ...change },
    });
    it('records one at the limit', () => {
      given([placed, submitted]).when(fill({})).then([filled('x1', 1, 15_000)]);
    });
    it('refuses a buy above its limit', () => {
      given([placed, submitted]).when(fill({ priceCents: 15_001 })).thenThrows('fill_through_limit');
    });
    it('refuses a sell below its limit', () => {
      const sell: OrderEvent = { type: 'OrderPlaced', data: { ...request, side: 'sell', limitPriceCents: 100_000_000 } };
      given([sell, submitted]).when(fill({ side: 'sell', priceCents: 1 })).thenThrows('fill_through_limit');
    });
    it('refuses a market buy above the price it was protected at when routed', () => {
      const market: OrderEvent = { type: 'OrderPlaced', data: { ...request, type: 'market', limitPriceCents: null } };
      const routed: OrderEvent = { type: 'OrderRoutingStarted', data: { ...ids, protectionPriceCents: 15_750 } };
      given([market, routed, submitted]).when(fill({ priceCents: 15_750 })).then([filled('x1', 1, 15_750)]);
      given([market, routed, submitted]).when(fill({ priceCents: 15_751 })).thenThrows('fill_through_limit');
    });
    it('refuses another symbol or the other side', () => {
      given([placed, submitted]).when(fill({ symbol: 'MSFT' })).thenThrows('execution_mismatch');
      given([placed, submitted]).when(fill({ side: 'sell' })).thenThrows('execution_mismatch');
    });
    it('refuses more than is left, and anything once the order has ended', () => {
      given([placed, submitted, filled('x0', 9)]).when(fill({ qty: 2 })).thenThrows('overfill');
      given([placed, submitted, { type: 'OrderExpired', data: ids }]).when(fill({})).thenThrows('order_not_fillable');
    });
    it('refuses a zero or fractional quantity', () => {
      given([placed, submitted]).when(fill({ qty: 0 })).thenThrows('invalid_order');
      given([placed, submitted]).when(fill({ qty: 0.5 })).thenThrows('invalid_order');
    });
  });

  describe('when its sending began and a cancel waits on it', () => {
    const history: OrderEvent[] = [placed, { type: 'OrderRoutingStarted', data: { ...ids, protectionPriceCents: null } }, { type: 'OrderCancelRequested', data: ids }];
    it('is rejected when the exchange refuses it', () => {
      given(history).when({ type: 'RejectOrder', data: { orderId, reason: 'unknown_symbol' } }).then([{ type: 'OrderRejected', data: { ...ids, reason: 'unknown_symbol' } }]);
    });
    it('can no longer be rejected once the exchange accepted it', () => {
      given([...history, submitted]).when({ type: 'RejectOrder', data: { orderId, reason: 'late' } }).thenThrows('invalid_order');
    });
  });

  it('refuses commands for an order that does not exist', () => {
    given().when({ type: 'RequestCancel', data: { orderId } }).thenThrows('unknown_order');
  });
});
