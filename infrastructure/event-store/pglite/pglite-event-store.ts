import { PGlite } from '@electric-sql/pglite';
import { migrate, type Migration } from '../../persistence/migrations.ts';
import { PgliteSqlClient } from '../../persistence/pglite-client.ts';
import { InProcessLogWakeups } from '../log-wakeups.ts';
import { EVENT_LOG_MIGRATIONS } from '../sql/event-log-schema.ts';
import type { PollingOptions } from '../sql/polling-all-subscription.ts';
import { SqlEventStore } from '../sql/sql-event-store.ts';

export interface PgliteEventStore {
  readonly store: SqlEventStore;
  /** The same database, for the read models that live beside the events in embedded mode. */
  readonly db: PGlite;
  readonly sql: PgliteSqlClient;
}

/**
 * The embedded event store: the PostgreSQL adapter's SQL on PGlite, in this process.
 * `dataDir` keeps it on disk; without it the database lives in memory.
 */
export async function openPgliteEventStore(
  options: { dataDir?: string; migrations?: readonly Migration[]; subscription?: Partial<PollingOptions> } = {},
): Promise<PgliteEventStore> {
  const db = options.dataDir ? new PGlite(options.dataDir) : new PGlite();
  await db.waitReady;
  const sql = new PgliteSqlClient(db);
  await migrate(sql, options.migrations ?? EVENT_LOG_MIGRATIONS);
  const store = new SqlEventStore({
    db: sql,
    wakeups: new InProcessLogWakeups(),
    ...(options.subscription ? { subscription: options.subscription } : {}),
    onClose: () => db.close(),
  });
  await store.checkPositionsMatchTransactionIds();
  return { store, db, sql };
}
