import { openPostgresEventStore } from '../../infrastructure/event-store/postgres/postgres-event-store.ts';
import { createTestDatabase } from '../support/postgres-test-database.ts';
import { describeEventStoreContract } from './event-store.contract.ts';

describeEventStoreContract('PostgreSQL (pg, application role)', async ({ readPageSize }) => {
  const database = await createTestDatabase('contract');
  const store = await openPostgresEventStore({ connectionString: database.appUrl, subscription: { batchSize: readPageSize } });
  return {
    store,
    async cleanup() {
      await store.close();
      await database.drop();
    },
  };
});
