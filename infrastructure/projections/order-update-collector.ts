import type { RecordedEvent } from '../../application/event-store/event-store.ts';
import { executionKey, orderUpdatesOf, positionsToRead, positionKey, type AppliedOrderEvent, type OrderUpdate } from '../../application/orders/order-updates.ts';
import type { OrderRow } from '../../projections/orders/orders-projection.ts';
import type { PositionRow } from '../../projections/positions/positions-projection.ts';
import { occurredAt, type Row } from '../../projections/row-projection.ts';
import type { SqlClient } from '../persistence/sql-client.ts';
import { orderView } from '../read-models/sql-read-model-queries.ts';
import type { ProjectionTarget } from './projection-batch.ts';

const SETTLEMENTS = new Set(['BuyFillSettled', 'SellFillSettled']);

/**
 * Watches one batch being folded (an `applyBatch` observer): every order event with the order
 * row it left, and the position each fill settlement left. After the fold it reads the positions
 * still needed, in the batch's transaction, and turns all of it into per-event order updates.
 */
export class OrderUpdateCollector {
  private readonly applied: AppliedOrderEvent[] = [];
  private readonly settled = new Map<string, number>();

  readonly observe = (projection: string, event: RecordedEvent, row: Row | null): void => {
    if (projection === 'orders' && row) {
      this.applied.push({ type: event.type, data: event.data, at: occurredAt(event), order: orderView(row as OrderRow) });
    } else if (projection === 'positions' && SETTLEMENTS.has(event.type)) {
      const data = event.data as { orderId: string; executionId: string };
      this.settled.set(executionKey(data.orderId, data.executionId), (row as PositionRow | null)?.qty ?? 0);
    }
  };

  get isEmpty(): boolean {
    return this.applied.length === 0;
  }

  /** The batch's updates; call inside its transaction, after its rows are written. */
  async updates(tx: SqlClient, positions: ProjectionTarget | undefined): Promise<OrderUpdate[]> {
    const needed = positionsToRead(this.applied, this.settled);
    const after = new Map<string, number>();
    if (needed.length > 0 && positions) {
      const rows = await positions.rows.loadMany(
        tx,
        needed.map((key) => ({ account_id: key.accountId, symbol: key.symbol })),
      );
      for (const row of rows.values()) after.set(positionKey({ accountId: String(row.account_id), symbol: String(row.symbol) }), Number(row.qty));
    }
    return orderUpdatesOf(this.applied, this.settled, after);
  }
}
