import pg from 'pg';
import type { SqlClient } from './sql-client.ts';

/** `SqlClient` over a `pg` pool. */
export class PostgresSqlClient implements SqlClient {
  constructor(readonly pool: pg.Pool) {}

  static connect(connectionString: string, options: { max?: number; applicationName?: string } = {}): PostgresSqlClient {
    const pool = new pg.Pool({
      connectionString,
      max: options.max ?? 10,
      application_name: options.applicationName ?? 'trading-core',
    });
    // An idle client that loses its server is dropped by the pool; the error must not kill us.
    pool.on('error', () => undefined);
    return new PostgresSqlClient(pool);
  }

  async query<Row extends object>(text: string, params?: readonly unknown[]): Promise<Row[]> {
    const result = await this.pool.query(text, params as unknown[] | undefined);
    return result.rows as Row[];
  }

  async exec(script: string): Promise<void> {
    await this.pool.query(script);
  }

  async transaction<T>(work: (tx: SqlClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(new SingleConnectionSqlClient(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

/** A client already inside a transaction; nested transactions are not supported. */
class SingleConnectionSqlClient implements SqlClient {
  constructor(private readonly client: pg.PoolClient) {}

  async query<Row extends object>(text: string, params?: readonly unknown[]): Promise<Row[]> {
    const result = await this.client.query(text, params as unknown[] | undefined);
    return result.rows as Row[];
  }

  async exec(script: string): Promise<void> {
    await this.client.query(script);
  }

  transaction<T>(work: (tx: SqlClient) => Promise<T>): Promise<T> {
    return work(this);
  }

  async close(): Promise<void> {}
}
