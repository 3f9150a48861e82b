import { openPgliteEventStore } from '../../infrastructure/event-store/pglite/pglite-event-store.ts';
import { describeEventStoreContract } from './event-store.contract.ts';

describeEventStoreContract('PGlite (in process)', async ({ readPageSize }) => {
  const { store } = await openPgliteEventStore({ subscription: { batchSize: readPageSize } });
  return { store, cleanup: () => store.close() };
});
