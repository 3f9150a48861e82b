import type { OrderEvent } from '../../domain/order/order.ts';
import type { RowProjection } from '../row-projection.ts';

export interface ExternalOrderRow {
  [column: string]: string;
  external_order_id: string;
  order_id: string;
  account_id: string;
}

/** `external_order_index`: the exchange's id → our order, for the execution feed (seed 002). */
export const externalOrderIndexProjection: RowProjection<ExternalOrderRow> = {
  name: 'external_order_index',
  table: 'external_order_index',
  keyColumns: ['external_order_id'],
  columns: ['external_order_id', 'order_id', 'account_id'],
  integerColumns: [],
  handles: new Set<OrderEvent['type']>(['OrderSubmitted']),
  keyOf: (event) => ({ external_order_id: (event.data as { externalOrderId: string }).externalOrderId }),
  evolve(row, recorded) {
    const { externalOrderId, orderId, accountId } = recorded.data as { externalOrderId: string; orderId: string; accountId: string };
    return row ?? { external_order_id: externalOrderId, order_id: orderId, account_id: accountId };
  },
};
