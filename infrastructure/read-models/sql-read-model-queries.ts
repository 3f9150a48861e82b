import type { AccountView } from '../../application/accounts/account-view.ts';
import type { OrderView } from '../../application/orders/order-view.ts';
import {
  InvalidCursorError,
  type ActivityView,
  type OrderStatusFilter,
  type Page,
  type PositionView,
  type ReadModelQueries,
} from '../../application/read-models/queries.ts';
import { isIsoTimestamp, parsePosition } from '../../application/shared/value-ranges.ts';
import { OPEN_STATUSES, type OrderStatus } from '../../domain/order/order.ts';
import type { SqlClient } from '../persistence/sql-client.ts';

export const ORDER_COLUMNS = `id::text AS id, client_order_id, account_id::text AS account_id, symbol, side, type, time_in_force, qty::text AS qty,
  limit_price_cents::text AS limit_price_cents, status, filled_qty::text AS filled_qty, avg_fill_price_cents::text AS avg_fill_price_cents,
  external_order_id, reject_reason, created_at, updated_at, version::text AS version`;

export interface OrderRecord {
  id: string;
  client_order_id: string;
  account_id: string;
  symbol: string;
  side: OrderView['side'] | string;
  type: OrderView['type'] | string;
  time_in_force: OrderView['timeInForce'] | string;
  qty: string | number;
  limit_price_cents: string | number | null;
  status: OrderStatus;
  filled_qty: string | number;
  avg_fill_price_cents: string | number | null;
  external_order_id: string | null;
  reject_reason: string | null;
  created_at: Date | string;
  updated_at: Date | string;
  version: string | number;
}

export const iso = (value: Date | string): string => (value instanceof Date ? value : new Date(value)).toISOString();
export const integerOrNull = (value: string | number | null): number | null => (value === null ? null : Number(value));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An order as the API shows it, from its read-model row (as stored, or as read back). */
export function orderView(record: OrderRecord): OrderView {
  return {
    id: record.id,
    clientOrderId: record.client_order_id,
    accountId: record.account_id,
    symbol: record.symbol,
    side: record.side as OrderView['side'],
    type: record.type as OrderView['type'],
    timeInForce: record.time_in_force as OrderView['timeInForce'],
    qty: Number(record.qty),
    limitPriceCents: integerOrNull(record.limit_price_cents),
    status: record.status,
    filledQty: Number(record.filled_qty),
    avgFillPriceCents: integerOrNull(record.avg_fill_price_cents),
    externalOrderId: record.external_order_id,
    rejectReason: record.reject_reason,
    createdAt: iso(record.created_at),
    updatedAt: iso(record.updated_at),
    version: Number(record.version),
  };
}

export interface ActivityRecord {
  id: string;
  activity_type: ActivityView['activityType'];
  side: ActivityView['side'];
  symbol: string | null;
  qty: string | null;
  price_cents: string | null;
  net_amount_cents: string;
  order_id: string | null;
  occurred_at: Date | string;
}

/** A ledger entry as the API shows it, from its read-model row. */
export function activityView(row: ActivityRecord): ActivityView {
  return {
    id: row.id,
    activityType: row.activity_type,
    side: row.side,
    symbol: row.symbol,
    qty: integerOrNull(row.qty),
    priceCents: integerOrNull(row.price_cents),
    netAmountCents: Number(row.net_amount_cents),
    orderId: row.order_id,
    occurredAt: iso(row.occurred_at),
  };
}

function encodeCursor(parts: string[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

function decodeCursor(cursor: string, length: number): string[] {
  try {
    const parts: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parts) && parts.length === length && parts.every((part) => typeof part === 'string')) return parts as string[];
  } catch {
    // falls through
  }
  throw new InvalidCursorError();
}

/** The read models' queries, on PostgreSQL or PGlite. */
export class SqlReadModelQueries implements ReadModelQueries {
  constructor(private readonly db: SqlClient) {}

  async listOrders(accountId: string, filter: { status: OrderStatusFilter; symbol?: string; limit: number; cursor?: string }): Promise<Page<OrderView>> {
    const conditions = ['account_id = $1'];
    const params: unknown[] = [accountId];
    if (filter.status !== 'all') {
      params.push([...OPEN_STATUSES]);
      conditions.push(filter.status === 'open' ? `status = ANY($${params.length})` : `NOT (status = ANY($${params.length}))`);
    }
    if (filter.symbol) {
      params.push(filter.symbol);
      conditions.push(`symbol = $${params.length}`);
    }
    if (filter.cursor) {
      const [createdAt, id] = decodeCursor(filter.cursor, 2) as [string, string];
      if (!UUID.test(id) || !isIsoTimestamp(createdAt)) throw new InvalidCursorError();
      params.push(createdAt, id);
      conditions.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(filter.limit + 1);
    const records = await this.db.query<OrderRecord>(
      `SELECT ${ORDER_COLUMNS} FROM orders WHERE ${conditions.join(' AND ')} ORDER BY orders.created_at DESC, orders.id DESC LIMIT $${params.length}`,
      params,
    );
    const items = records.slice(0, filter.limit).map(orderView);
    const last = items[items.length - 1];
    return { items, nextCursor: records.length > filter.limit && last ? encodeCursor([last.createdAt, last.id]) : null };
  }

  async getOrder(accountId: string, orderId: string): Promise<OrderView | undefined> {
    if (!UUID.test(orderId)) return undefined;
    const [record] = await this.db.query<OrderRecord>(`SELECT ${ORDER_COLUMNS} FROM orders WHERE account_id = $1 AND id = $2`, [accountId, orderId]);
    return record ? orderView(record) : undefined;
  }

  async findOrderByClientOrderId(accountId: string, clientOrderId: string): Promise<OrderView | undefined> {
    const [record] = await this.db.query<OrderRecord>(`SELECT ${ORDER_COLUMNS} FROM orders WHERE account_id = $1 AND client_order_id = $2`, [accountId, clientOrderId]);
    return record ? orderView(record) : undefined;
  }

  async getAccount(accountId: string): Promise<AccountView> {
    const [row] = await this.db.query<{ cash_cents: string; reserved_cents: string; version: string }>(
      'SELECT cash_cents::text AS cash_cents, reserved_cents::text AS reserved_cents, version::text AS version FROM accounts WHERE account_id = $1',
      [accountId],
    );
    const cashCents = Number(row?.cash_cents ?? 0);
    const reservedCents = Number(row?.reserved_cents ?? 0);
    return { accountId, cashCents, reservedCents, buyingPowerCents: cashCents - reservedCents, version: Number(row?.version ?? -1) };
  }

  async listPositions(accountId: string): Promise<PositionView[]> {
    const rows = await this.db.query<{ symbol: string; qty: string; reserved_qty: string; cost_basis_cents: string }>(
      `SELECT symbol, qty::text AS qty, reserved_qty::text AS reserved_qty, cost_basis_cents::text AS cost_basis_cents
         FROM positions WHERE account_id = $1 AND qty > 0 ORDER BY symbol`,
      [accountId],
    );
    return rows.map((row) => {
      const qty = Number(row.qty);
      const costBasisCents = Number(row.cost_basis_cents);
      return { symbol: row.symbol, qty, reservedQty: Number(row.reserved_qty), costBasisCents, avgCostCents: qty === 0 ? 0 : Math.round(costBasisCents / qty) };
    });
  }

  async listActivities(accountId: string, page: { limit: number; cursor?: string }): Promise<Page<ActivityView>> {
    const params: unknown[] = [accountId];
    let before = '';
    if (page.cursor) {
      const [position] = decodeCursor(page.cursor, 1) as [string];
      if (parsePosition(position) === undefined) throw new InvalidCursorError();
      params.push(position);
      before = `AND position < $2`;
    }
    params.push(page.limit + 1);
    const rows = await this.db.query<ActivityRecord & { position: string }>(
      `SELECT id::text AS id, position::text AS position, activity_type, side, symbol, qty::text AS qty, price_cents::text AS price_cents,
              net_amount_cents::text AS net_amount_cents, order_id::text AS order_id, occurred_at
         FROM account_activities WHERE account_id = $1 ${before} ORDER BY account_activities.position DESC LIMIT $${params.length}`,
      params,
    );
    const items = rows.slice(0, page.limit).map(activityView);
    const lastRow = rows[page.limit - 1];
    return { items, nextCursor: rows.length > page.limit && lastRow ? encodeCursor([lastRow.position]) : null };
  }
}
