import { openPgliteEventStore } from '../../infrastructure/event-store/pglite/pglite-event-store.ts';
import { describeEventStoreContract } from './event-store.contract.ts';

describeEventStoreContract('PGlite (in process)', async () => {
  const { store } = await openPgliteEventStore();
  return { store, cleanup: () => store.close() };
});
