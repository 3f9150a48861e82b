import type { ActivitySearch, ActivityWithProgress, OrderSearch, ReadModelSearches } from '../../application/read-models/searches.ts';
import type { OrderView } from '../../application/orders/order-view.ts';
import { OPEN_STATUSES } from '../../domain/order/order.ts';
import type { SqlClient } from '../persistence/sql-client.ts';
import { activityView, ORDER_COLUMNS, orderView, type ActivityRecord, type OrderRecord } from './sql-read-model-queries.ts';

interface ProgressRecord extends ActivityRecord {
  cum_qty: string | null;
  order_qty: string | null;
}

/** The Alpaca-compatible face's searches over the read models (PostgreSQL or PGlite). */
export class SqlReadModelSearches implements ReadModelSearches {
  constructor(private readonly db: SqlClient) {}

  async searchOrders(accountId: string, search: OrderSearch): Promise<OrderView[]> {
    const params: unknown[] = [accountId];
    const conditions = ['account_id = $1'];
    const add = (condition: (placeholder: string) => string, value: unknown) => {
      params.push(value);
      conditions.push(condition(`$${params.length}`));
    };
    if (search.status !== 'all') add((p) => (search.status === 'open' ? `status = ANY(${p})` : `NOT (status = ANY(${p}))`), [...OPEN_STATUSES]);
    if (search.symbols && search.symbols.length > 0) add((p) => `symbol = ANY(${p})`, [...search.symbols]);
    if (search.side) add((p) => `side = ${p}`, search.side);
    if (search.after) add((p) => `created_at > ${p}::timestamptz`, search.after);
    if (search.until) add((p) => `created_at < ${p}::timestamptz`, search.until);
    params.push(search.limit);
    const direction = search.direction === 'asc' ? 'ASC' : 'DESC';
    const records = await this.db.query<OrderRecord>(
      `SELECT ${ORDER_COLUMNS} FROM orders WHERE ${conditions.join(' AND ')} ORDER BY orders.created_at ${direction}, orders.id ${direction} LIMIT $${params.length}`,
      params,
    );
    return records.map(orderView);
  }

  async searchActivities(accountId: string, search: ActivitySearch): Promise<ActivityWithProgress[]> {
    const params: unknown[] = [accountId];
    const conditions: string[] = [];
    const add = (condition: (placeholder: string) => string, value: unknown) => {
      params.push(value);
      conditions.push(condition(`$${params.length}`));
    };
    const forward = search.direction === 'asc';
    if (search.types && search.types.length > 0) add((p) => `mine.activity_type = ANY(${p})`, [...search.types]);
    if (search.after) add((p) => `mine.occurred_at > ${p}::timestamptz`, search.after);
    if (search.until) add((p) => `mine.occurred_at < ${p}::timestamptz`, search.until);
    if (search.afterActivityId) add((p) => `mine.position ${forward ? '>' : '<'} (SELECT seen.position FROM account_activities seen WHERE seen.account_id = $1 AND seen.id = ${p}::uuid)`, search.afterActivityId);
    params.push(search.limit);
    // How much of its order each fill brought the order to: a running sum over the order's fills.
    const rows = await this.db.query<ProgressRecord>(
      `WITH mine AS (
         SELECT a.*, CASE WHEN a.activity_type = 'fill' THEN sum(a.qty) OVER (PARTITION BY a.order_id ORDER BY a.position) END AS cum_qty
           FROM account_activities a WHERE a.account_id = $1
       )
       SELECT mine.id::text AS id, activity_type, mine.side, mine.symbol, mine.qty::text AS qty, price_cents::text AS price_cents,
              net_amount_cents::text AS net_amount_cents, order_id::text AS order_id, occurred_at, cum_qty::text AS cum_qty, o.qty::text AS order_qty
         FROM mine LEFT JOIN orders o ON o.account_id = $1 AND o.id = mine.order_id
        ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''}
        ORDER BY mine.position ${forward ? 'ASC' : 'DESC'} LIMIT $${params.length}`,
      params,
    );
    return rows.map((row) => ({ ...activityView(row), fill: row.cum_qty !== null && row.order_qty !== null ? { cumQty: Number(row.cum_qty), orderQty: Number(row.order_qty) } : undefined }));
  }
}
