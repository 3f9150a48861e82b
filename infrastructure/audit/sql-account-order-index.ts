import type { AccountOrderIndex, OrderCandidates } from '../../application/audit/account-order-index.ts';
import type { Cut } from '../../application/audit/instant.ts';
import { accountOrderIndexProjection } from '../../projections/account-order-index/account-order-index-projection.ts';
import type { SqlClient } from '../persistence/sql-client.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The `account_order_index` read model as the audit's order index. Rows and the projection's
 * checkpoint are read in one statement, so they describe the same prefix of the log.
 */
export class SqlAccountOrderIndex implements AccountOrderIndex {
  constructor(private readonly db: SqlClient) {}

  async openCandidates(accountId: string, cut: Cut): Promise<OrderCandidates> {
    if (!UUID.test(accountId)) return { orderIds: [], appliedUpTo: -1n };
    const [row] = await this.db.query<{ applied: string | null; order_ids: string[] | null }>(
      `SELECT (SELECT position::text FROM projection_checkpoints WHERE projection = $1) AS applied,
              (SELECT array_agg(order_id::text) FROM account_order_index
                WHERE account_id = $2 AND placed_position <= $3::bigint AND ($4::timestamptz IS NULL OR placed_at <= $4::timestamptz)
                  -- ended at the cut: its closing event lies within it (by position and, for a time, by clock)
                  AND NOT (closed_position IS NOT NULL AND closed_position <= $3::bigint AND ($4::timestamptz IS NULL OR closed_at <= $4::timestamptz))
              ) AS order_ids`,
      [accountOrderIndexProjection.name, accountId, cut.position.toString(), cut.time ? cut.time.toISOString() : null],
    );
    return { orderIds: row?.order_ids ?? [], appliedUpTo: row?.applied ? BigInt(row.applied) : -1n };
  }
}
