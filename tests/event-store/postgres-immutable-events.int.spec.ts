import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresEventStore } from '../../infrastructure/event-store/postgres/postgres-event-store.ts';
import type { SqlEventStore } from '../../infrastructure/event-store/sql/sql-event-store.ts';
import { events, uniqueStream } from '../support/events.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres-test-database.ts';

describe('events are immutable in the database', () => {
  let database: TestDatabase;
  let store: SqlEventStore;
  let stream: string;

  beforeAll(async () => {
    database = await createTestDatabase('immutable');
    store = await openPostgresEventStore({ connectionString: database.appUrl });
    stream = uniqueStream();
    await store.append(stream, events(2), 'no_stream');
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  async function as(url: string, statement: string): Promise<unknown> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await client.query(statement).then(
        () => 'succeeded',
        (error: Error) => error,
      );
    } finally {
      await client.end();
    }
  }

  const statements = {
    UPDATE: `UPDATE events SET data = '{"altered": true}'`,
    DELETE: 'DELETE FROM events',
    TRUNCATE: 'TRUNCATE events',
  };

  describe('for the role the application connects with', () => {
    it.each(Object.entries(statements))('refuses %s', async (_, statement) => {
      const outcome = await as(database.appUrl, statement);
      expect(outcome).toBeInstanceOf(Error);
      expect((outcome as Error).message).toMatch(/permission denied/);
    });

    it('still reads and appends', async () => {
      await store.append(stream, events(1), 1n);
      expect(await store.readStream(stream)).toHaveLength(3);
    });
  });

  describe('for the owner of the table', () => {
    it.each(Object.entries(statements))('refuses %s through the immutability trigger', async (_, statement) => {
      const outcome = await as(database.adminUrl, statement);
      expect(outcome).toBeInstanceOf(Error);
      expect((outcome as Error).message).toMatch(/events are immutable/);
    });
  });

  it('leaves every event as it was written', async () => {
    const read = await store.readStream(stream);
    expect(read).toHaveLength(3);
    expect(read.map((event) => event.data)).toEqual([{ index: 0 }, { index: 1 }, { index: 0 }]);
  });
});
