import { EventStoreDBClient } from '@eventstore/db-client';
import { describe, it } from 'vitest';
import { EventStoreDbEventStore } from '../../infrastructure/event-store/eventstoredb/eventstoredb-event-store.ts';
import { uniqueStream } from '../support/events.ts';
import { describeEventStoreContract } from './event-store.contract.ts';

const url = process.env.EVENTSTORE_URL;

if (url) {
  describeEventStoreContract(`EventStoreDB (${new URL(url).host})`, async ({ readPageSize }) => {
    const store = EventStoreDbEventStore.connect(url, { readPageSize });
    // Stream metadata is a `$metadata` record in `$all`: a system record the store hides.
    const raw = EventStoreDBClient.connectionString(url);
    return {
      store,
      async writeHiddenRecords(count) {
        for (let i = 0; i < count; i += 1) await raw.setStreamMetadata(uniqueStream('hidden'), { maxCount: 1_000 });
      },
      async cleanup() {
        await store.close();
        await raw.dispose();
      },
    };
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
