import { UnavailableError } from '@eventstore/db-client';
import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../application/event-store/event-store.ts';
import { EventStoreDbEventStore } from '../../infrastructure/event-store/eventstoredb/eventstoredb-event-store.ts';
import { collect, events, idsOf, uniqueStream } from '../support/events.ts';
import { FakeEventStoreDbClient } from './fake-eventstoredb-client.ts';

const FAST = { attempts: 3, minDelayMs: 1, maxDelayMs: 5 };

function givenAServer() {
  const client = new FakeEventStoreDbClient();
  return { client, store: new EventStoreDbEventStore(client, { resubscribe: FAST }) };
}

describe('EventStoreDB adapter: a subscription the server drops', () => {
  it('resumes after the last delivered event: no gap, no repeat, and says it was dropped', async () => {
    const client = new FakeEventStoreDbClient();
    const drops: unknown[] = [];
    const store = new EventStoreDbEventStore(client, { resubscribe: { ...FAST, onDropped: (error) => drops.push(error) } });
    const stream = uniqueStream();
    const written = events(6);
    await store.append(stream, written.slice(0, 3), 'no_stream');
    const subscription = collect(store.subscribeToAll());
    await subscription.until(3);

    client.dropSubscriptions();
    await store.append(stream, written.slice(3), 2n);
    client.recordSystemEvents(5);

    const delivered = await subscription.until(6);
    await subscription.stop();
    expect(idsOf(delivered)).toEqual(written.map((event) => event.id));
    expect(subscription.items).toHaveLength(6);
    expect(client.subscriptionsOpened).toBe(2);
    expect(drops).toEqual([expect.any(UnavailableError)]);
  });

  it('resubscribes from the checkpoint it was opened with when dropped before delivering anything', async () => {
    const { client, store } = givenAServer();
    const stream = uniqueStream();
    const before = events(2);
    await store.append(stream, before, 'no_stream');
    const after = (await store.readStream(stream))[1]!.position;
    const subscription = collect(store.subscribeToAll({ after }));
    await new Promise((resolve) => setTimeout(resolve, 20));

    client.dropSubscriptions();
    const later = events(2);
    await store.append(stream, later, 1n);

    const delivered = await subscription.until(2);
    await subscription.stop();
    expect(idsOf(delivered)).toEqual(later.map((event) => event.id));
  });

  it('drops that the server confirms a new subscription between do not add up to a failure', async () => {
    const { client, store } = givenAServer();
    const stream = uniqueStream();
    const subscription = collect(store.subscribeToAll());
    const written: RecordedEvent[] = [];
    for (let round = 0; round < FAST.attempts * 3; round += 1) {
      await new Promise((resolve) => setTimeout(resolve, 15));
      client.dropSubscriptions();
      await store.append(stream, events(1), round === 0 ? 'no_stream' : BigInt(round - 1));
    }
    written.push(...(await store.readStream(stream)));

    const delivered = await subscription.until(written.length);
    await subscription.stop();
    expect(idsOf(delivered)).toEqual(idsOf(written));
  });

  it('fails with an error naming the cause once the server refuses it more times in a row than allowed', async () => {
    const { client, store } = givenAServer();
    const subscription = collect(store.subscribeToAll());
    await new Promise((resolve) => setTimeout(resolve, 20));

    client.refuseSubscriptions = new UnavailableError();
    client.dropSubscriptions();

    const failure = await subscription.until(1, 2_000).catch((error: unknown) => error);
    await subscription.stop().catch(() => undefined);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/dropped 4 times in a row/);
    expect((failure as Error).cause).toBeInstanceOf(UnavailableError);
  });

  it('ends its iteration when closed while waiting to resubscribe', async () => {
    const client = new FakeEventStoreDbClient();
    const store = new EventStoreDbEventStore(client, { resubscribe: { attempts: 3, minDelayMs: 60_000, maxDelayMs: 60_000 } });
    const subscription = store.subscribeToAll();
    const reader = subscription[Symbol.asyncIterator]();
    const next = reader.next();
    await new Promise((resolve) => setTimeout(resolve, 20));
    client.dropSubscriptions();
    await new Promise((resolve) => setTimeout(resolve, 20));

    await subscription.close();

    await expect(Promise.race([next, new Promise((resolve) => setTimeout(() => resolve('hung'), 1_000))])).resolves.toMatchObject({ done: true });
    expect(client.openSubscriptions).toBe(0);
  });
});
