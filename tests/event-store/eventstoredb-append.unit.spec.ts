import { describe, expect, it } from 'vitest';
import { InvalidAppendError, WrongExpectedRevisionError, type ExpectedRevision } from '../../application/event-store/event-store.ts';
import { ChainVerifier } from '../../application/event-store/event-chain.ts';
import { EventStoreDbEventStore } from '../../infrastructure/event-store/eventstoredb/eventstoredb-event-store.ts';
import { anEvent, events, uniqueStream } from '../support/events.ts';
import { FakeEventStoreDbClient } from './fake-eventstoredb-client.ts';

/** Two adapters over one server: two processes, which share no lock. */
function givenAServer(options: { raceTimeoutMs?: number } = {}) {
  const client = new FakeEventStoreDbClient();
  return { client, store: new EventStoreDbEventStore(client, options), otherProcess: new EventStoreDbEventStore(client, options) };
}

function idsIn(client: FakeEventStoreDbClient, stream: string): string[] {
  return client.streamRecords(stream).map((record) => record.id);
}

// The rules of ADR 0016 one append at a time are contract cases, run over the fake client in
// eventstoredb-adapter-contract.unit.spec.ts; these are the races between processes.
describe('EventStoreDB adapter: appends racing another process', () => {
  it('two processes appending the same id to two streams at once: one is written, the other refused', async () => {
    const { client, store, otherProcess } = givenAServer();
    const [a, b] = [uniqueStream(), uniqueStream()];
    const event = anEvent();

    const outcomes = await Promise.allSettled([store.append(a, [event], 'any'), otherProcess.append(b, [event], 'any')]);

    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    const refused = outcomes.find((outcome) => outcome.status === 'rejected');
    expect(refused?.reason).toBeInstanceOf(InvalidAppendError);
    expect([...idsIn(client, a), ...idsIn(client, b)]).toEqual([event.id]);
  });

  it.each<ExpectedRevision>(['any', 0n])('two processes appending the same events with "%s" at once leave one copy', async (expected) => {
    const { client, store, otherProcess } = givenAServer();
    const stream = uniqueStream();
    await store.append(stream, events(1), 'no_stream');
    const batch = events(2);

    const outcomes = await Promise.allSettled([store.append(stream, batch, expected), otherProcess.append(stream, batch, expected)]);

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(idsIn(client, stream)).toHaveLength(3);
  });
  it('"any" gets through more than 10 lost races and keeps the hash chain linked', async () => {
    const { client, store, otherProcess } = givenAServer();
    const stream = uniqueStream();
    await store.append(stream, events(1), 'no_stream');
    let races = 0;
    let racing = false;
    client.beforeAppend = async (target) => {
      // Another process appends to the stream between this append's read and its write, 12 times.
      if (target !== stream || racing || races >= 12) return;
      racing = true;
      races += 1;
      await otherProcess.append(stream, [anEvent('Other')], 'any');
      racing = false;
    };
    const mine = anEvent('Mine');

    const result = await store.append(stream, [mine], 'any');

    expect(races).toBe(12);
    expect(result.nextExpectedRevision).toBe(13n);
    expect(idsIn(client, stream).filter((id) => id === mine.id)).toHaveLength(1);
    expect(new ChainVerifier().check(await store.readStream(stream))).toBeUndefined();
  });

  it('"any" that keeps losing ends after its time limit with an error saying so, not a conflict', async () => {
    const { client, store } = givenAServer({ raceTimeoutMs: 200 });
    const stream = uniqueStream();
    await store.append(stream, events(1), 'no_stream');
    client.beforeAppend = (target) => {
      if (target === stream) client.record(stream, 'Other', {}, { correlationId: 'c', causationId: 'c', principal: 'system:test' });
    };

    const started = Date.now();
    const failure = await store.append(stream, events(1), 'any').catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(Error);
    expect(failure).not.toBeInstanceOf(WrongExpectedRevisionError);
    expect((failure as Error).message).toMatch(/lost every race/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
