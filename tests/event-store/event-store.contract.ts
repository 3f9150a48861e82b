import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidAppendError,
  WrongExpectedRevisionError,
  type EventStore,
  type ExpectedRevision,
  type RecordedEvent,
} from '../../application/event-store/event-store.ts';
import { ChainVerifier, GENESIS_HASH, chainHash } from '../../application/event-store/event-chain.ts';
import { anEvent, events, idsOf, take, uniqueStream } from '../support/events.ts';

export interface ContractSubject {
  readonly store: EventStore;
  /**
   * Writes `count` records the store keeps in its log but hides from readers of it (EventStoreDB's
   * system records); absent for stores that have none.
   */
  readonly writeHiddenRecords?: (count: number) => Promise<void>;
  cleanup(): Promise<void>;
}

export interface ContractStoreOptions {
  /**
   * Records an adapter reads from its log at a time, where it pages on its own (EventStoreDB's
   * reads of `$all`, the SQL stores' subscriptions). The contract makes it tiny, so every read
   * crosses page boundaries.
   */
  readonly readPageSize: number;
}

const TINY_PAGES: ContractStoreOptions = { readPageSize: 3 };

/**
 * EventStoreDB's semantics, held against every adapter; where the server's own differ, the
 * contract's are ADR 0016's. Tests share one store, so each writes its own streams and reads
 * `$all` only after a position it noted first.
 */
export function describeEventStoreContract(adapter: string, open: (options: ContractStoreOptions) => Promise<ContractSubject>): void {
  describe(`event store contract: ${adapter}`, () => {
    let subject: ContractSubject;
    let store: EventStore;

    beforeAll(async () => {
      subject = await open(TINY_PAGES);
      store = subject.store;
    });
    afterAll(async () => {
      await subject?.cleanup();
    });

    /** Every event of `streams` after `after` in `$all`, once `count` of them are visible. */
    async function allOf(streams: readonly string[], after: bigint, count: number): Promise<RecordedEvent[]> {
      let found: RecordedEvent[] = [];
      await expect
        .poll(
          async () => {
            found = (await store.readAll({ after, maxCount: 100_000 })).filter((event) => streams.includes(event.streamId));
            return found.length;
          },
          { timeout: 5_000 },
        )
        .toBe(count);
      return found;
    }

    describe('appending to a new stream', () => {
      it('records the events at revisions 0.. with their data, metadata and the store time', async () => {
        const stream = uniqueStream();
        const written = [anEvent('Opened', { amountCents: 1250 }), anEvent('Credited', { note: 'ünïcødé ✓' })];
        const before = Date.now();

        const result = await store.append(stream, written, 'no_stream');

        const read = await store.readStream(stream);
        expect(result.nextExpectedRevision).toBe(1n);
        expect(read.map((event) => event.revision)).toEqual([0n, 1n]);
        expect(read.map(({ id, type, data }) => ({ id, type, data }))).toEqual(
          written.map(({ id, type, data }) => ({ id, type, data })),
        );
        expect(read[0]?.metadata).toMatchObject(written[0]!.metadata);
        expect(read[1]?.position).toBe(result.position);
        expect(read[0]!.position).toBeLessThan(read[1]!.position);
        for (const event of read) {
          expect(event.streamId).toBe(stream);
          expect(event.recordedAt.getTime()).toBeGreaterThanOrEqual(before - 1_000);
          expect(event.recordedAt.getTime()).toBeLessThanOrEqual(Date.now() + 1_000);
        }
      });

      it('reads a stream that does not exist as empty', async () => {
        expect(await store.readStream(uniqueStream())).toEqual([]);
      });
    });

    describe('expected revision', () => {
      it('"no_stream" fails on a stream that exists and reports its revision', async () => {
        const stream = uniqueStream();
        await store.append(stream, events(3), 'no_stream');

        const failure = await store.append(stream, events(1), 'no_stream').catch((error: unknown) => error);

        expect(failure).toBeInstanceOf(WrongExpectedRevisionError);
        expect((failure as WrongExpectedRevisionError).actual).toBe(2n);
        expect(await store.readStream(stream)).toHaveLength(3);
      });

      it('"stream_exists" fails on a missing stream and succeeds on an existing one', async () => {
        const stream = uniqueStream();

        const failure = await store.append(stream, events(1), 'stream_exists').catch((error: unknown) => error);
        expect(failure).toBeInstanceOf(WrongExpectedRevisionError);
        expect((failure as WrongExpectedRevisionError).actual).toBe('no_stream');

        await store.append(stream, events(1), 'any');
        const result = await store.append(stream, events(1), 'stream_exists');
        expect(result.nextExpectedRevision).toBe(1n);
      });

      it('an exact revision succeeds when it is the last one and fails when stale', async () => {
        const stream = uniqueStream();
        const first = await store.append(stream, events(2), 'no_stream');
        const second = await store.append(stream, events(1), first.nextExpectedRevision);
        expect(second.nextExpectedRevision).toBe(2n);

        const failure = await store.append(stream, events(1), first.nextExpectedRevision).catch((error: unknown) => error);

        expect(failure).toBeInstanceOf(WrongExpectedRevisionError);
        expect((failure as WrongExpectedRevisionError).expected).toBe(1n);
        expect((failure as WrongExpectedRevisionError).actual).toBe(2n);
      });

      it('an exact revision on a missing stream fails', async () => {
        const failure = await store.append(uniqueStream(), events(1), 0n).catch((error: unknown) => error);
        expect(failure).toBeInstanceOf(WrongExpectedRevisionError);
      });

      it('"any" appends whatever the stream holds', async () => {
        const stream = uniqueStream();
        await store.append(stream, events(1), 'any');
        const result = await store.append(stream, events(2), 'any');
        expect(result.nextExpectedRevision).toBe(2n);
      });

      it('lets exactly one of several writers with the same expected revision win', async () => {
        const stream = uniqueStream();
        const start = await store.append(stream, events(1), 'no_stream');

        const outcomes = await Promise.allSettled(
          Array.from({ length: 6 }, () => store.append(stream, events(1), start.nextExpectedRevision)),
        );

        expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
        for (const outcome of outcomes) {
          if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(WrongExpectedRevisionError);
        }
        expect(await store.readStream(stream)).toHaveLength(2);
      });
    });

    describe('tamper evidence', () => {
      it('chains every event to the previous one of its stream by hash, across appends and streams', async () => {
        const head = await store.headPosition();
        const [a, b] = [uniqueStream(), uniqueStream()];
        await store.append(a, [anEvent('Opened', { amountCents: 1, note: 'quote " and \\ and \n and ✓' }), anEvent('Credited', { nested: { z: 1, a: [true, null, 'x'] } })], 'no_stream');
        await store.append(b, events(2), 'any');
        await store.append(a, events(3), 1n);

        const streamA = await store.readStream(a);
        expect(streamA[0]!.hash).toBe(chainHash(GENESIS_HASH, streamA[0]!));
        for (let i = 1; i < streamA.length; i += 1) expect(streamA[i]!.hash).toBe(chainHash(streamA[i - 1]!.hash, streamA[i]!));
        expect(new ChainVerifier().check(await allOf([a, b], head, 7))).toBeUndefined();
      });

      it('names the first event whose content no longer matches its link', async () => {
        const stream = uniqueStream();
        await store.append(stream, events(3), 'no_stream');
        const read = await store.readStream(stream);
        const altered = read.map((event, i) => (i === 1 ? { ...event, data: { ...(event.data as object), forged: true } } : event));

        const broken = new ChainVerifier().check(altered);

        expect(broken).toMatchObject({ streamId: stream, revision: 1n, id: read[1]!.id });
        expect(new ChainVerifier().check(read.filter((_, i) => i !== 1))).toMatchObject({ revision: 2n, problem: expect.stringContaining('missing') });
      });
    });

    describe('idempotent re-append', () => {
      it('the same events at the same place succeed again without duplicating', async () => {
        const stream = uniqueStream();
        await store.append(stream, events(1), 'no_stream');
        const batch = events(2);
        const first = await store.append(stream, batch, 0n);

        const again = await store.append(stream, batch, 0n);

        expect(again).toMatchObject({ nextExpectedRevision: first.nextExpectedRevision, position: first.position });
        expect(first.alreadyWritten).toBeFalsy();
        // Adapters that can tell say so; EventStoreDB cannot and leaves it out.
        expect(again.alreadyWritten ?? true).toBe(true);
        expect(idsOf(await store.readStream(stream)).slice(1)).toEqual(idsOf(batch as RecordedEvent[]));
        expect(await store.readStream(stream)).toHaveLength(3);
      });

      it('the same events of a first append succeed again with "no_stream" and with "any"', async () => {
        const stream = uniqueStream();
        const batch = events(3);
        const first = await store.append(stream, batch, 'no_stream');

        const sameResult = { nextExpectedRevision: first.nextExpectedRevision, position: first.position };
        expect(await store.append(stream, batch, 'no_stream')).toMatchObject(sameResult);
        expect(await store.append(stream, batch, 'any')).toMatchObject(sameResult);
        expect(await store.readStream(stream)).toHaveLength(3);
      });

      it('the same events expected at another place are a conflict, the current revision included', async () => {
        const stream = uniqueStream();
        const batch = events(1);
        await store.append(stream, batch, 'no_stream');
        await store.append(stream, events(1), 0n);

        const failure = await store.append(stream, batch, 1n).catch((error: unknown) => error);

        expect(failure).toBeInstanceOf(WrongExpectedRevisionError);
        expect(await store.readStream(stream)).toHaveLength(2);
      });

      it.each<ExpectedRevision>(['any', 'stream_exists'])('the same events retried with "%s" after later appends succeed without duplicating', async (expected) => {
        const stream = uniqueStream();
        await store.append(stream, events(1), 'no_stream');
        const batch = events(2);
        const first = await store.append(stream, batch, expected);
        await store.append(stream, events(2), expected);

        const again = await store.append(stream, batch, expected);

        expect(again).toMatchObject({ nextExpectedRevision: first.nextExpectedRevision, position: first.position });
        expect(again.alreadyWritten ?? true).toBe(true);
        expect(await store.readStream(stream)).toHaveLength(5);
      });

      it('a batch only partly written before is a conflict, even with "any"', async () => {
        const stream = uniqueStream();
        const [x, y, z] = events(3);
        await store.append(stream, [x!, y!], 'any');

        const failure = await store.append(stream, [x!, z!], 'any').catch((error: unknown) => error);

        expect(failure).toBeInstanceOf(WrongExpectedRevisionError);
        expect(idsOf(await store.readStream(stream))).toEqual([x!.id, y!.id]);
      });

      it.each<ExpectedRevision>(['any', 'no_stream', 'stream_exists', 0n])('an event id already used by another stream is refused with "%s"', async (expected) => {
        const [used, other] = [uniqueStream(), uniqueStream()];
        const event = anEvent();
        await store.append(used, [event], 'no_stream');
        if (expected !== 'no_stream') await store.append(other, events(1), 'no_stream');

        const failure = await store.append(other, [event], expected).catch((error: unknown) => error);

        expect(failure).toBeInstanceOf(InvalidAppendError);
        expect(idsOf(await store.readStream(other))).not.toContain(event.id);
        expect(idsOf(await store.readStream(used))).toEqual([event.id]);
      });
    });

    describe('refused input changes nothing', () => {
      it.each([
        ['no events', () => []],
        ['an id that is not a UUID', () => [{ ...anEvent(), id: 'not-a-uuid' }]],
        ['the same id twice', () => { const event = anEvent(); return [event, event]; }],
        ['no principal', () => [{ ...anEvent(), metadata: { correlationId: 'c', causationId: 'c', principal: '' } }]],
        ['a reserved type', () => [anEvent('$metadata')]],
      ])('refuses an append with %s', async (_, batch) => {
        const stream = uniqueStream();
        await expect(store.append(stream, batch(), 'any')).rejects.toBeInstanceOf(InvalidAppendError);
        expect(await store.readStream(stream)).toEqual([]);
      });
    });

    describe('reading a stream', () => {
      it('reads a long stream in revision order (10 after 9, not after 1)', async () => {
        const stream = uniqueStream();
        await store.append(stream, events(25), 'no_stream');
        const read = await store.readStream(stream);
        expect(read.map((event) => Number(event.revision))).toEqual(Array.from({ length: 25 }, (_, i) => i));
        const backwards = await store.readStream(stream, { direction: 'backwards', maxCount: 3 });
        expect(backwards.map((event) => Number(event.revision))).toEqual([24, 23, 22]);
      });

      it('reads backwards, from a revision, and up to a count', async () => {
        const stream = uniqueStream();
        await store.append(stream, events(5), 'no_stream');

        const backwards = await store.readStream(stream, { direction: 'backwards' });
        const fromTwo = await store.readStream(stream, { fromRevision: 2n, maxCount: 2 });
        const lastTwo = await store.readStream(stream, { direction: 'backwards', maxCount: 2 });
        const backFromOne = await store.readStream(stream, { direction: 'backwards', fromRevision: 1n });

        expect(backwards.map((event) => event.revision)).toEqual([4n, 3n, 2n, 1n, 0n]);
        expect(fromTwo.map((event) => event.revision)).toEqual([2n, 3n]);
        expect(lastTwo.map((event) => event.revision)).toEqual([4n, 3n]);
        expect(backFromOne.map((event) => event.revision)).toEqual([1n, 0n]);
      });
    });

    describe('the global log', () => {
      it('reads every event after a position once, in append order, with increasing positions', async () => {
        const after = await store.headPosition();
        const [a, b] = [uniqueStream(), uniqueStream()];
        const written = [events(2), events(1), events(3)];
        await store.append(a, written[0]!, 'no_stream');
        await store.append(b, written[1]!, 'no_stream');
        await store.append(a, written[2]!, 1n);

        const read = await allOf([a, b], after, 6);

        expect(idsOf(read)).toEqual(written.flat().map((event) => event.id));
        const positions = read.map((event) => event.position);
        expect(positions).toEqual([...positions].sort((x, y) => (x < y ? -1 : 1)));
        expect(new Set(positions).size).toBe(6);
      });

      it('reads after a position exclusively and up to a count', async () => {
        const stream = uniqueStream();
        const after = await store.headPosition();
        await store.append(stream, events(4), 'no_stream');
        const all = await allOf([stream], after, 4);

        const page = (await store.readAll({ after: all[0]!.position, maxCount: 100_000 })).filter((event) => event.streamId === stream);
        const limited = await store.readAll({ after, maxCount: 2 });

        expect(idsOf(page)).toEqual(idsOf(all.slice(1)));
        expect(limited).toHaveLength(2);
      });

      it.each([1, 2, 5])('a reader paging through it %i events at a time sees every event once, in order', async (pageSize) => {
        const after = await store.headPosition();
        const [a, b, c] = [uniqueStream(), uniqueStream(), uniqueStream()];
        await subject.writeHiddenRecords?.(2);
        await store.append(a, events(2), 'no_stream');
        await subject.writeHiddenRecords?.(pageSize + 1);
        await store.append(b, events(3), 'no_stream');
        await store.append(a, events(1), 1n);
        await subject.writeHiddenRecords?.(1);
        await store.append(c, events(4), 'any');
        await subject.writeHiddenRecords?.(3);
        const expected = await allOf([a, b, c], after, 10);

        const paged: RecordedEvent[] = [];
        for (let from = after, page = await store.readAll({ after: from, maxCount: pageSize }); page.length > 0; page = await store.readAll({ after: from, maxCount: pageSize })) {
          expect(page.length).toBeLessThanOrEqual(pageSize);
          paged.push(...page);
          from = page[page.length - 1]!.position;
        }

        expect(idsOf(paged.filter((event) => [a, b, c].includes(event.streamId)))).toEqual(idsOf(expected));
        expect(new Set(idsOf(paged)).size).toBe(paged.length);
      });

      it('reports a head position at or after the last append', async () => {
        const result = await store.append(uniqueStream(), events(1), 'no_stream');
        await expect.poll(() => store.headPosition(), { timeout: 5_000 }).toBeGreaterThanOrEqual(result.position);
      });

      it('reports the last event as the head, however many hidden records follow it', async () => {
        const result = await store.append(uniqueStream(), events(2), 'no_stream');
        await subject.writeHiddenRecords?.(70);

        await expect.poll(() => store.headPosition(), { timeout: 5_000 }).toBe(result.position);
      });
    });

    describe('catch-up subscription to the global log', () => {
      it('delivers past events from a checkpoint, then live ones, in order', async () => {
        const stream = uniqueStream();
        const after = await store.headPosition();
        const past = events(3);
        await store.append(stream, past, 'no_stream');
        const subscription = store.subscribeToAll({ after });
        const reader = subscription[Symbol.asyncIterator]();
        try {
          const caughtUp = (await takeOfStreams(reader, [stream], 3));
          const live = events(2);
          await store.append(stream, live, 2n);
          const liveRead = await takeOfStreams(reader, [stream], 2);

          expect(idsOf(caughtUp)).toEqual(idsOf(past as RecordedEvent[]));
          expect(idsOf(liveRead)).toEqual(idsOf(live as RecordedEvent[]));
        } finally {
          await subscription.close();
        }
      });

      it('resumes from a stored checkpoint with no gap and no repeat', async () => {
        const stream = uniqueStream();
        const after = await store.headPosition();
        const written = events(6);
        await store.append(stream, written.slice(0, 3), 'no_stream');
        await store.append(stream, written.slice(3), 2n);

        const first = store.subscribeToAll({ after });
        const firstTwo = await takeOfStreams(first[Symbol.asyncIterator](), [stream], 2);
        await first.close();
        const checkpoint = firstTwo[1]!.position;

        const second = store.subscribeToAll({ after: checkpoint });
        try {
          const rest = await takeOfStreams(second[Symbol.asyncIterator](), [stream], 4);
          expect(idsOf([...firstTwo, ...rest])).toEqual(idsOf(written as RecordedEvent[]));
        } finally {
          await second.close();
        }
      });

      it('ends its iteration when closed', async () => {
        const subscription = store.subscribeToAll({ after: await store.headPosition() });
        const reader = subscription[Symbol.asyncIterator]();
        const next = reader.next();
        await subscription.close();
        await expect(Promise.race([next, new Promise((resolve) => setTimeout(() => resolve('hung'), 3_000))])).resolves.toMatchObject({
          done: true,
        });
      });
    });
  });
}

async function takeOfStreams(reader: AsyncIterator<RecordedEvent>, streams: readonly string[], count: number): Promise<RecordedEvent[]> {
  const found: RecordedEvent[] = [];
  while (found.length < count) {
    const [event] = await take(reader, 1);
    if (event && streams.includes(event.streamId)) found.push(event);
  }
  return found;
}
