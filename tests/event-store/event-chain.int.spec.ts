import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../application/audit/verify-chain.ts';
import { canonicalJson } from '../../application/event-store/event-chain.ts';
import { openPostgresEventStore } from '../../infrastructure/event-store/postgres/postgres-event-store.ts';
import type { SqlEventStore } from '../../infrastructure/event-store/sql/sql-event-store.ts';
import { anEvent, events, uniqueStream } from '../support/events.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres-test-database.ts';

/** Strings PostgreSQL can store: no lone surrogates (they do not survive UTF-8). */
const wellFormed = (text: string) => Buffer.from(text, 'utf8').toString('utf8') === text;

/** JSON values like the ones events carry: integers, strings of any characters, nesting. */
const eventLikeJson = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.integer({ min: -1e12, max: 1e12 }),
    fc.string({ unit: 'binary', maxLength: 12 }).filter((text) => !text.includes('\u0000') && wellFormed(text)),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ unit: 'binary', maxLength: 6 }).filter((key) => !key.includes('\u0000') && wellFormed(key)), tie('value'), { maxKeys: 5 }),
  ),
})).value;

describe('the tamper-evident chain on PostgreSQL', () => {
  let database: TestDatabase;
  let store: SqlEventStore;
  let owner: pg.Client;

  beforeAll(async () => {
    database = await createTestDatabase('chain');
    store = await openPostgresEventStore({ connectionString: database.appUrl });
    owner = new pg.Client({ connectionString: database.adminUrl });
    await owner.connect();
  });
  afterAll(async () => {
    await owner?.end();
    await store?.close();
    await database?.drop();
  });

  it('renders canonical JSON exactly as PostgreSQL renders jsonb, for random event-like values', async () => {
    const samples = fc.sample(eventLikeJson, { numRuns: 500, seed: 20261123 });
    const { rows } = await owner.query<{ text: string }>('SELECT value::jsonb::text AS text FROM unnest($1::text[]) WITH ORDINALITY AS t(value, n) ORDER BY n', [samples.map((sample) => JSON.stringify(sample))]);
    rows.forEach((row, i) => expect(canonicalJson(samples[i]), JSON.stringify(samples[i])).toBe(row.text));
  });

  it('passes on an untouched store, and names the event after one byte of it is changed by a superuser', async () => {
    const streams = [uniqueStream(), uniqueStream(), uniqueStream()];
    let last = 0n;
    for (const stream of streams) last = (await store.append(stream, [anEvent('Opened', { amountCents: 1_000 }), ...events(4)], 'no_stream')).position;
    // The log is read below the oldest running transaction of the whole server: another test
    // file's append may hold our events back from readers for a moment.
    while ((await store.headPosition()) < last) await new Promise((resolve) => setTimeout(resolve, 10));
    const before = await verifyChain(store, {});
    expect(before.brokenLink).toBeUndefined();
    expect(before.checked).toBeGreaterThanOrEqual(15);
    const target = (await store.readStream(streams[1]!))[0]!;

    await owner.query('ALTER TABLE events DISABLE TRIGGER events_no_update_delete');
    await owner.query(`UPDATE events SET data = jsonb_set(data, '{amountCents}', '9000') WHERE id = $1`, [target.id]);
    await owner.query('ALTER TABLE events ENABLE TRIGGER events_no_update_delete');

    const after = await verifyChain(store, {});
    expect(after.brokenLink).toMatchObject({ streamId: streams[1], revision: 0n, id: target.id });
    expect((await verifyChain(store, { streamId: streams[1]! })).brokenLink).toMatchObject({ id: target.id });
    expect((await verifyChain(store, { streamId: streams[2]! })).brokenLink).toBeUndefined();
  });
});
