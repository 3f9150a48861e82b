import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../application/event-store/event-store.ts';
import { EventStoreDbEventStore } from '../../infrastructure/event-store/eventstoredb/eventstoredb-event-store.ts';
import { anEvent, idsOf, uniqueStream } from '../support/events.ts';
import { FakeEventStoreDbClient } from './fake-eventstoredb-client.ts';

/** The adapter over a fake client whose `$all` interleaves user events with system records. */
async function givenALogOf(layout: readonly ('system' | 'user')[], options: { readPageSize?: number } = {}) {
  const client = new FakeEventStoreDbClient();
  const store = new EventStoreDbEventStore(client, options);
  const written: RecordedEvent[] = [];
  for (const kind of layout) {
    if (kind === 'system') client.recordSystemEvents(1);
    else {
      const stream = uniqueStream();
      await store.append(stream, [anEvent('Opened')], 'no_stream');
      written.push(...(await store.readStream(stream)));
    }
  }
  return { client, store, written };
}

describe('EventStoreDB adapter: reading $all', () => {
  it('returns each user event once when a page ends on a user event after system records', async () => {
    const { store, written } = await givenALogOf(['system', 'system', 'user', 'system', 'system', 'user', 'system', 'user']);

    const page = await store.readAll({ maxCount: 2 });

    expect(idsOf(page)).toEqual(idsOf(written.slice(0, 2)));
  });

  it('reads in pages of the injected size and still returns every user event once, in order', async () => {
    const layout = ['user', 'system', 'system', 'user', 'user', 'system', 'user', 'system', 'system', 'system', 'user'] as const;
    const { client, store, written } = await givenALogOf(layout, { readPageSize: 2 });
    client.allReads.length = 0;

    const all = await store.readAll({ maxCount: 1_000 });

    expect(idsOf(all)).toEqual(idsOf(written));
    expect(client.allReads.length).toBeGreaterThan(3);
    for (const request of client.allReads) expect(Number(request.maxCount)).toBeLessThanOrEqual(3);
  });

  it('a reader paging with after and maxCount 1 (as chain verify and rebuild do) sees every user event once', async () => {
    const { store, written } = await givenALogOf(['system', 'user', 'system', 'system', 'user', 'user', 'system', 'user', 'system'], { readPageSize: 1 });

    const seen: RecordedEvent[] = [];
    for (let after: bigint | undefined, page = await store.readAll({ maxCount: 1 }); page.length > 0; page = await store.readAll({ after, maxCount: 1 })) {
      seen.push(...page);
      after = page[page.length - 1]!.position;
    }

    expect(idsOf(seen)).toEqual(idsOf(written));
  });

  it('reads after a position exclusively', async () => {
    const { store, written } = await givenALogOf(['user', 'system', 'user', 'user'], { readPageSize: 2 });

    const rest = await store.readAll({ after: written[0]!.position });

    expect(idsOf(rest)).toEqual(idsOf(written.slice(1)));
  });
});

describe('EventStoreDB adapter: head position', () => {
  it('finds the newest user event behind more than 64 system records', async () => {
    const { client, store, written } = await givenALogOf(['user', 'user']);
    client.recordSystemEvents(200);

    expect(await store.headPosition()).toBe(written[1]!.position);
  });

  it('answers 0 when the log holds only system records', async () => {
    const { client, store } = await givenALogOf([]);
    client.recordSystemEvents(70);

    expect(await store.headPosition()).toBe(0n);
  });
});

describe('EventStoreDB adapter: servers it cannot read correctly', () => {
  it('a stream read from a server before 22.6 (no position on stream reads) fails with an error naming the version', async () => {
    const { client, store } = await givenALogOf([]);
    const stream = uniqueStream();
    client.record(stream, 'Opened', {}, { correlationId: 'c', causationId: 'c', principal: 'system:test' });
    client.positionsOnStreamReads = false;

    await expect(store.readStream(stream)).rejects.toThrow(/22\.6/);
  });

  it('an event written in an explicit transaction (commit position after its prepare) fails clearly instead of sharing a position', async () => {
    const { client, store } = await givenALogOf(['user']);
    const record = client.record(uniqueStream(), 'Opened', {}, { correlationId: 'c', causationId: 'c', principal: 'system:test' }, crypto.randomUUID(), 10n);

    await expect(store.readAll({})).rejects.toThrow(/explicit transaction/);
    expect(record.prepare).toBe(10n);
  });
});
