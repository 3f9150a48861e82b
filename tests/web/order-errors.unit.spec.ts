import { describe, expect, it } from 'vitest';
import { ticketErrors } from '../../web/src/orders/order-errors.ts';
import { isOpen, mergeOrder } from '../../web/src/orders/order-book.ts';
import type { Order } from '../../web/src/api/contract.ts';

const failure = (code: string, message: string, fieldIssues: Array<{ field: string; message: string }> = []) => ({ code, message, fieldIssues });

describe("the order ticket places the contract's errors beside their fields", () => {
  it('puts each failing body field of a 400 on its own field', () => {
    const errors = ticketErrors(
      failure('invalid_request', 'the request is not valid', [
        { field: 'body.limitPriceCents', message: 'is required for a limit order' },
        { field: 'body.qty', message: 'Too small: expected number to be >0' },
      ]),
    );
    expect(errors).toEqual({ fields: { limitPrice: 'The limit price is required for a limit order', qty: 'Too small: expected number to be >0' } });
  });

  it('puts a refusal on the field it is about', () => {
    expect(ticketErrors(failure('insufficient_buying_power', 'needs $1,900.00, has $10.00'))).toEqual({ fields: { qty: 'needs $1,900.00, has $10.00' } });
    expect(ticketErrors(failure('unknown_symbol', 'ZZZZ is not listed'))).toEqual({ fields: { symbol: 'ZZZZ is not listed' } });
  });

  it('keeps what concerns no field for the form', () => {
    expect(ticketErrors(failure('exchange_unavailable', 'the exchange is not answering'))).toEqual({ fields: {}, form: 'the exchange is not answering' });
    expect(ticketErrors(failure('invalid_request', 'not valid', [{ field: 'body.clientOrderId', message: 'too long' }]))).toEqual({ fields: {}, form: 'not valid' });
  });
});

describe('the console keeps the newest version of each order', () => {
  const order = (version: number, status: Order['status']) => ({ id: 'o-1', version, status }) as Order;

  it('takes a newer version and ignores an older or equal one, whichever arrives first', () => {
    const first = mergeOrder(new Map(), order(2, 'submitted'));
    expect(first.get('o-1')!.status).toBe('submitted');
    expect(mergeOrder(first, order(1, 'pending'))).toBe(first);
    expect(mergeOrder(first, order(2, 'submitted'))).toBe(first);
    expect(mergeOrder(first, order(3, 'filled')).get('o-1')!.status).toBe('filled');
  });

  it('counts pending, submitted, partially filled and canceling orders as open', () => {
    expect(['pending', 'submitted', 'partially_filled', 'pending_cancel', 'filled', 'canceled', 'rejected'].map((status) => isOpen(order(1, status as Order['status'])))).toEqual([
      true, true, true, true, false, false, false,
    ]);
  });
});
