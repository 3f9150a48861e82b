import { PostgresSqlClient } from '../../persistence/postgres-client.ts';
import { SqlEventStore } from '../sql/sql-event-store.ts';
import type { PollingOptions } from '../sql/polling-all-subscription.ts';
import { PostgresLogWakeups } from './postgres-log-wakeups.ts';

export interface PostgresEventStoreOptions {
  readonly connectionString: string;
  readonly poolSize?: number;
  readonly subscription?: Partial<PollingOptions>;
  readonly onError?: (error: unknown) => void;
}

/** The event store on a PostgreSQL server whose schema `migratePostgres` created. */
export async function openPostgresEventStore(options: PostgresEventStoreOptions): Promise<SqlEventStore> {
  const db = PostgresSqlClient.connect(options.connectionString, { max: options.poolSize ?? 10, applicationName: 'trading-core-events' });
  const wakeups = new PostgresLogWakeups(options.connectionString, db.pool, options.onError);
  const store = new SqlEventStore({
    db,
    wakeups,
    subscription: { onReadError: options.onError, ...options.subscription },
    onClose: () => db.close(),
  });
  try {
    await store.checkPositionsMatchTransactionIds();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
