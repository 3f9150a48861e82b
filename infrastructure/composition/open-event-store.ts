import type { Registry } from 'prom-client';
import type { EventStore } from '../../application/event-store/event-store.ts';
import type { Config } from '../config/config.ts';
import { EventStoreDbEventStore } from '../event-store/eventstoredb/eventstoredb-event-store.ts';
import { openPgliteEventStore } from '../event-store/pglite/pglite-event-store.ts';
import { openPostgresEventStore } from '../event-store/postgres/postgres-event-store.ts';
import type { Logger } from '../logging/logger.ts';
import { PostgresSqlClient } from '../persistence/postgres-client.ts';
import { POSTGRES_MIGRATIONS } from '../persistence/postgres-setup.ts';
import { PgliteMaintenance } from '../persistence/pglite-maintenance.ts';
import type { SqlClient } from '../persistence/sql-client.ts';

export interface Stores {
  readonly eventStore: EventStore;
  /** Where the read models live: PGlite in embedded mode, PostgreSQL otherwise. */
  readonly readModels: SqlClient;
  close(): Promise<void>;
}

/** Opens the event store `EVENT_STORE` names and the database of the read models. */
export async function openStores(config: Config, logger: Logger, metrics?: Registry): Promise<Stores> {
  if (config.EVENT_STORE === 'pglite') {
    const { store, sql } = await openPgliteEventStore({ ...(config.PGLITE_DATA_DIR ? { dataDir: config.PGLITE_DATA_DIR } : {}), migrations: POSTGRES_MIGRATIONS });
    const maintenance = new PgliteMaintenance({ db: sql, everyMs: config.PGLITE_MAINTENANCE_EVERY_MS, logger, metrics });
    maintenance.start();
    return {
      eventStore: store,
      readModels: sql,
      async close() {
        await maintenance.stop();
        await store.close();
      },
    };
  }
  const readModels = PostgresSqlClient.connect(config.DATABASE_URL, { max: config.DATABASE_POOL_SIZE, applicationName: 'trading-core-read-models' });
  const eventStore =
    config.EVENT_STORE === 'postgres'
      ? await openPostgresEventStore({
          connectionString: config.DATABASE_URL,
          poolSize: config.DATABASE_POOL_SIZE,
          onError: (error) => logger.warn({ err: error }, 'event store connection problem'),
        })
      : // loadConfig guarantees the URL when EVENT_STORE=eventstoredb.
        EventStoreDbEventStore.connect(config.EVENTSTORE_URL!, {
          resubscribe: { onDropped: (error, dropsInARow) => logger.warn({ err: error, dropsInARow }, 'event store subscription dropped; resubscribing') },
        });
  return {
    eventStore,
    readModels,
    async close() {
      await eventStore.close();
      await readModels.close();
    },
  };
}
