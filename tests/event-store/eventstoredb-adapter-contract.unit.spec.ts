import { EventStoreDbEventStore } from '../../infrastructure/event-store/eventstoredb/eventstoredb-event-store.ts';
import { describeEventStoreContract } from './event-store.contract.ts';
import { FakeEventStoreDbClient } from './fake-eventstoredb-client.ts';

// The adapter's logic held to the whole contract over the fake client: it shows the adapter and
// the SQL stores agree wherever the fake behaves as the server does. It is no substitute for
// eventstoredb-event-store.int.spec.ts against a real server.
describeEventStoreContract('EventStoreDB adapter over an in-memory fake of its client, no server', async ({ readPageSize }) => {
  const client = new FakeEventStoreDbClient();
  const store = new EventStoreDbEventStore(client, { readPageSize });
  return { store, writeHiddenRecords: async (count) => client.recordSystemEvents(count), cleanup: () => store.close() };
});
