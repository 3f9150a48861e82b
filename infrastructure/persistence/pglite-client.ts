import type { PGlite, Transaction } from '@electric-sql/pglite';
import type { SqlClient } from './sql-client.ts';

type PgliteQueryable = PGlite | Transaction;

/** `SqlClient` over PGlite: PostgreSQL in this process, one connection. */
export class PgliteSqlClient implements SqlClient {
  constructor(private readonly db: PgliteQueryable) {}

  async query<Row extends object>(text: string, params?: readonly unknown[]): Promise<Row[]> {
    const result = await this.db.query<Row>(text, params as unknown[] | undefined);
    return result.rows;
  }

  async exec(script: string): Promise<void> {
    await this.db.exec(script);
  }

  transaction<T>(work: (tx: SqlClient) => Promise<T>): Promise<T> {
    if (!('transaction' in this.db)) return work(this);
    return this.db.transaction((tx) => work(new PgliteSqlClient(tx)));
  }

  /** The PGlite database is closed by the event store that opened it. */
  async close(): Promise<void> {}
}
