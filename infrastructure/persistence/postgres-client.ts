import { createHash } from 'node:crypto';
import pg from 'pg';
import type { SqlClient } from './sql-client.ts';

/** Statements with more parameters than this are built per call (multi-row writes): never prepared. */
const MAX_PREPARED_PARAMETERS = 16;
const statementNames = new Map<string, string>();

/**
 * The query as a named prepared statement when it is one of the fixed statements the code runs
 * again and again: each connection parses and plans it once instead of on every call (on the
 * order path, planning cost about as much as executing). Statements whose text varies with the
 * number of rows stay unnamed, so a connection prepares a bounded set.
 */
function statement(text: string, params: readonly unknown[] | undefined): pg.QueryConfig {
  const values = params as unknown[] | undefined;
  if (!values || values.length === 0 || values.length > MAX_PREPARED_PARAMETERS) return { text, values };
  let name = statementNames.get(text);
  if (!name) {
    name = `tc_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return { name, text, values };
}

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
    const result = await this.pool.query(statement(text, params));
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
    const result = await this.client.query(statement(text, params));
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
