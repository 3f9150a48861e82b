import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../application/event-store/event-store.ts';
import { openPostgresEventStore } from '../../infrastructure/event-store/postgres/postgres-event-store.ts';
import type { SqlEventStore } from '../../infrastructure/event-store/sql/sql-event-store.ts';
import { seededRandom } from '../../domain/shared/seeded-random.ts';
import { anEvent, collect, events, idsOf, uniqueStream } from '../support/events.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres-test-database.ts';

/**
 * The global log never skips an event (design.md, "the hard part"; ADR 0002): transactions
 * commit in another order than they started, and a reader must neither pass an event that may
 * still commit nor ever see one behind its position.
 */
describe('PostgreSQL global log ordering', () => {
  let database: TestDatabase;
  let store: SqlEventStore;

  beforeAll(async () => {
    database = await createTestDatabase('order');
    store = await openPostgresEventStore({ connectionString: database.appUrl, poolSize: 12 });
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  /** An append inside a transaction the test controls, exactly as the adapter writes it. */
  async function openAppend(client: pg.Client, stream: string, batch = events(1)): Promise<void> {
    await client.query('BEGIN');
    await client.query('SELECT * FROM append_events($1, $2, $3::jsonb)', [stream, 'any', JSON.stringify(batch)]);
  }

  async function connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: database.appUrl });
    await client.connect();
    return client;
  }

  it('holds back at an append still in flight while later appends commit, then delivers it first', async () => {
    const start = await store.headPosition();
    const subscriber = collect(store.subscribeToAll({ after: start }));
    const held = await connect();
    try {
      const heldEvent = anEvent('Held');
      await openAppend(held, uniqueStream('held'), [heldEvent]);
      const later = events(5, 'Later');
      const laterStreams = later.map(() => uniqueStream('later'));
      for (const [index, event] of later.entries()) await store.append(laterStreams[index]!, [event], 'no_stream');

      // The later appends are committed and readable by stream, yet the log does not pass the held one.
      await sleep(1_000);
      expect(subscriber.items).toEqual([]);
      for (const stream of laterStreams) expect(await store.readStream(stream)).toHaveLength(1);
      expect(await store.readAll({ after: start })).toEqual([]);
      expect(await store.headPosition()).toBe(start);

      await held.query('COMMIT');

      const delivered = await subscriber.until(6);
      expect(idsOf(delivered)).toEqual([heldEvent.id, ...later.map((event) => event.id)]);
      expectStrictlyIncreasing(delivered);
    } finally {
      await held.end();
      await subscriber.stop();
    }
  });

  it('never delivers an append whose transaction rolled back, and does not wait for it afterwards', async () => {
    const start = await store.headPosition();
    const subscriber = collect(store.subscribeToAll({ after: start }));
    const held = await connect();
    try {
      await openAppend(held, uniqueStream('doomed'), [anEvent('Doomed')]);
      const later = events(3, 'Later');
      for (const event of later) await store.append(uniqueStream('later'), [event], 'no_stream');

      await held.query('ROLLBACK');

      await subscriber.until(3);
      await sleep(500);
      expect(idsOf(subscriber.items)).toEqual(later.map((event) => event.id));
    } finally {
      await held.end();
      await subscriber.stop();
    }
  });

  it('8 concurrent writers with random delays and rollbacks: the live subscriber sees exactly the committed set, in order', async () => {
    const WRITERS = 8;
    const APPENDS_PER_WRITER = 260;
    const STREAMS = Array.from({ length: 24 }, () => uniqueStream('busy'));
    const start = await store.headPosition();
    const committed = new Set<string>();
    const rolledBack = new Set<string>();

    const received: RecordedEvent[] = [];
    const subscription = store.subscribeToAll({ after: start });
    const consuming = (async () => {
      for await (const event of subscription) received.push(event);
    })();

    const random = seededRandom(0x5eed);
    const writer = async (): Promise<void> => {
      const client = await connect();
      try {
        for (let i = 0; i < APPENDS_PER_WRITER; i += 1) {
          const stream = STREAMS[Math.floor(random() * STREAMS.length)]!;
          const batch = events(1 + Math.floor(random() * 3));
          const roll = random();
          if (roll < 0.5) {
            // Through the adapter, as the application writes.
            await store.append(stream, batch, 'any');
            for (const event of batch) committed.add(event.id);
          } else {
            // A transaction that stays open a while after taking its position, then commits or not.
            await openAppend(client, stream, batch);
            await sleep(Math.floor(random() * 8));
            if (roll < 0.85) {
              await client.query('COMMIT');
              for (const event of batch) committed.add(event.id);
            } else {
              await client.query('ROLLBACK');
              for (const event of batch) rolledBack.add(event.id);
            }
          }
          if (random() < 0.3) await sleep(Math.floor(random() * 4));
        }
      } finally {
        await client.end();
      }
    };
    await Promise.all(Array.from({ length: WRITERS }, writer));

    await expect.poll(() => received.length, { timeout: 20_000, interval: 50 }).toBeGreaterThanOrEqual(committed.size);
    await sleep(300); // anything extra would show up now
    await subscription.close();
    await consuming;

    expect(WRITERS * APPENDS_PER_WRITER).toBeGreaterThanOrEqual(2_000);
    expect(rolledBack.size).toBeGreaterThan(0);
    const ids = idsOf(received);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(committed);
    expectStrictlyIncreasing(received);
    // The log's order agrees with every stream's own order.
    const lastRevision = new Map<string, bigint>();
    for (const event of received) {
      const previous = lastRevision.get(event.streamId);
      if (previous !== undefined) expect(event.revision).toBe(previous + 1n);
      lastRevision.set(event.streamId, event.revision);
    }
    // And a reader that comes later sees the very same sequence.
    const reread = await store.readAll({ after: start, maxCount: 100_000 });
    expect(idsOf(reread)).toEqual(ids);
  });
});

function expectStrictlyIncreasing(recorded: readonly RecordedEvent[]): void {
  for (let i = 1; i < recorded.length; i += 1) {
    expect(recorded[i]!.position).toBeGreaterThan(recorded[i - 1]!.position);
  }
}
