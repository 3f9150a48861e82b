import { describe, it } from 'vitest';
import { EventStoreDbEventStore } from '../../infrastructure/event-store/eventstoredb/eventstoredb-event-store.ts';
import { describeEventStoreContract } from './event-store.contract.ts';

const url = process.env.EVENTSTORE_URL;

if (url) {
  describeEventStoreContract(`EventStoreDB (${new URL(url).host})`, async () => {
    const store = EventStoreDbEventStore.connect(url);
    return { store, cleanup: () => store.close() };
  });
} else {
  const reason =
    'EventStoreDB contract suite NOT RUN: EVENTSTORE_URL is not set (no EventStoreDB server can run on this machine; ' +
    'set e.g. EVENTSTORE_URL=esdb://127.0.0.1:2113?tls=false to run it)';
  console.warn(`\n*** ${reason} ***\n`);
  describe('event store contract: EventStoreDB', () => {
    it.skip(reason, () => undefined);
  });
}
