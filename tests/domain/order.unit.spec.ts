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
      given([placed]).when({ type: 'StartRouting', data: { orderId } }).then([{ type: 'OrderRoutingStarted', data: ids }]);
      given([placed, { type: 'OrderRoutingStarted', data: ids }]).when({ type: 'StartRouting', data: { orderId } }).thenNothingHappens();
    });
    it('goes to pending_cancel when its sending has begun (the exchange may have it)', () => {
      given([placed, { type: 'OrderRoutingStarted', data: ids }]).when({ type: 'RequestCancel', data: { orderId } }).then([{ type: 'OrderCancelRequested', data: ids }]);
    });
    it('is not marked for sending once canceled', () => {
      given([placed, { type: 'OrderCanceled', data: ids }]).when({ type: 'StartRouting', data: { orderId } }).thenNothingHappens();
    });
    it('cannot be filled before the exchange accepted it', () => {
      given([placed]).when({ type: 'RecordFill', data: { orderId, executionId: 'x1', qty: 1, priceCents: 100 } }).thenThrows('order_not_fillable');
    });
  });

  describe('when submitted', () => {
    it('records a partial fill', () => {
      given([placed, submitted]).when({ type: 'RecordFill', data: { orderId, executionId: 'x1', qty: 4, priceCents: 14_900 } }).then([filled('x1', 4)]);
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
      given(history).when({ type: 'RecordFill', data: { orderId, executionId: 'x1', qty: 4, priceCents: 14_900 } }).thenNothingHappens();
    });
    it('refuses a fill beyond the quantity', () => {
      given(history).when({ type: 'RecordFill', data: { orderId, executionId: 'x2', qty: 7, priceCents: 14_900 } }).thenThrows('overfill');
    });
    it('can still be filled while a cancel is pending', () => {
      given([...history, { type: 'OrderCancelRequested', data: ids }]).when({ type: 'RecordFill', data: { orderId, executionId: 'x2', qty: 6, priceCents: 14_800 } }).then([filled('x2', 6, 14_800)]);
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
        .when({ type: 'RecordFill', data: { orderId, executionId: 'x9', qty: 1, priceCents: 1 } })
        .thenThrows('order_not_fillable');
    });
  });

  it('refuses commands for an order that does not exist', () => {
    given().when({ type: 'RequestCancel', data: { orderId } }).thenThrows('unknown_order');
  });
});
