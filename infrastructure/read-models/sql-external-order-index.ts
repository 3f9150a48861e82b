import type { ExternalOrderIndex } from '../../application/exchange/exchange.ts';
import type { SqlClient } from '../persistence/sql-client.ts';

/** The `external_order_index` read model as the execution processor's lookup. */
export class SqlExternalOrderIndex implements ExternalOrderIndex {
  constructor(private readonly db: SqlClient) {}

  async lookup(externalOrderId: string): Promise<{ orderId: string; accountId: string } | undefined> {
    const [row] = await this.db.query<{ order_id: string; account_id: string }>(
      'SELECT order_id::text AS order_id, account_id::text AS account_id FROM external_order_index WHERE external_order_id = $1',
      [externalOrderId],
    );
    return row ? { orderId: row.order_id, accountId: row.account_id } : undefined;
  }
}
