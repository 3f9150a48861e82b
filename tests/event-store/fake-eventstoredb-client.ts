import { PassThrough, Readable } from 'node:stream';
import {
  ANY,
  BACKWARDS,
  END,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  UnavailableError,
  WrongExpectedVersionError,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type AppendResult,
  type AppendToStreamOptions,
  type EventData,
  type JSONType,
  type Position,
  type ReadAllOptions,
  type ReadStreamOptions,
  type ResolvedEvent,
  type StreamingRead,
  type SubscribeToAllOptions,
} from '@eventstore/db-client';
import type { EventStoreDbClient } from '../../infrastructure/event-store/eventstoredb/eventstoredb-client.ts';

interface FakeRecord {
  readonly position: bigint;
  readonly streamId: string;
  readonly revision: bigint;
  readonly id: string;
  readonly type: string;
  readonly data: JSONType;
  readonly metadata: JSONType | undefined;
  readonly created: Date;
  /** Set for an event of an explicit (legacy TCP) transaction: its prepare precedes the commit. */
  readonly prepare?: bigint;
}

interface LiveSubscription {
  readonly stream: PassThrough;
  readonly filter: RegExp | undefined;
  after: bigint;
}

/** What a server before 22.6 puts in a stream read's position fields (`Position.End`, unsigned). */
const NO_POSITION = { commit: 2n ** 64n - 1n, prepare: 2n ** 64n - 1n };

/**
 * EventStoreDB as the adapter meets it through the client, in memory, for unit tests of the
 * adapter's logic. It follows the server's documented and coded behaviour that the adapter
 * relies on (KurrentDB's IndexWriter.CheckCommit, AllReader, AllSubscriptionFiltered):
 * - every event is its own implicitly committed record: commit position = prepare position;
 * - a forward read of `$all` from a position includes the record there; a backward read from a
 *   record's position excludes it; `maxCount` counts every record, system ones included;
 * - an exact expected revision equal to the stream's writes without looking at ids; one below
 *   it succeeds without writing only when the same ids stand right after it;
 * - a catch-up subscription from a position delivers what comes strictly after it.
 * Hooks let a test put system records in the log, race an append, drop subscriptions, or play
 * a server older than 22.6.
 */
export class FakeEventStoreDbClient implements EventStoreDbClient {
  readonly log: FakeRecord[] = [];
  /** Appends made, in order, as (stream, expected revision, ids). */
  readonly appends: { streamId: string; expected: unknown; ids: string[] }[] = [];
  /** `readAll` requests made, for tests of paging. */
  readonly allReads: ReadAllOptions[] = [];
  /** Runs before each append is judged: a test writes here what another writer slips in. */
  beforeAppend: ((streamId: string) => void | Promise<void>) | undefined;
  /** Makes the next subscriptions fail before the server confirms them. */
  refuseSubscriptions: Error | undefined;
  /** False plays a server before 22.6: stream reads carry no position. */
  positionsOnStreamReads = true;
  subscriptionsOpened = 0;
  private readonly live = new Set<LiveSubscription>();
  private nextPosition = 1_000n;

  /** Writes records to the log as another client or the server itself would. */
  record(streamId: string, type: string, data: JSONType = {}, metadata?: JSONType, id: string = crypto.randomUUID(), prepare?: bigint): FakeRecord {
    const revision = this.lastRevision(streamId) + 1n;
    const record: FakeRecord = { position: this.nextPosition, streamId, revision, id, type, data, metadata, created: new Date(), ...(prepare === undefined ? {} : { prepare }) };
    // Records differ in size; positions are byte offsets, so they are increasing but not dense.
    this.nextPosition += 97n + BigInt(JSON.stringify(data).length);
    this.log.push(record);
    for (const subscription of this.live) this.deliver(subscription, record);
    return record;
  }

  /** System records: statistics, metadata, and link events of system projections. */
  recordSystemEvents(count: number): void {
    for (let i = 0; i < count; i += 1) {
      if (i % 3 === 0) this.record('$stats-127.0.0.1:2113', '$statsCollected', { i });
      else if (i % 3 === 1) this.record('$$some-stream', '$metadata', { $maxAge: 60 });
      else this.record('$et-SomethingHappened', '$>', '0@some-stream' as JSONType);
    }
  }

  /** Ends every open subscription with `error`, as a lost connection or a leader change does. */
  dropSubscriptions(error: Error = new UnavailableError()): void {
    for (const subscription of this.live) {
      this.live.delete(subscription);
      subscription.stream.destroy(error);
    }
  }

  get openSubscriptions(): number {
    return this.live.size;
  }

  async appendToStream(streamName: string, events: EventData[], options: AppendToStreamOptions): Promise<AppendResult> {
    await this.beforeAppend?.(streamName);
    const expected = options.expectedRevision ?? ANY;
    const ids = events.map((event) => event.id.toLowerCase());
    this.appends.push({ streamId: streamName, expected, ids });
    const current = this.lastRevision(streamName);
    const idempotent = (from: bigint): AppendResult | undefined => {
      const stream = this.streamRecords(streamName);
      const matches = ids.every((id, i) => stream[Number(from) + i]?.id === id);
      if (!matches) return undefined;
      const last = stream[Number(from) + ids.length - 1]!;
      return { success: true, nextExpectedRevision: last.revision, position: { commit: last.position, prepare: last.position } };
    };
    const wrong = (): never => {
      throw new WrongExpectedVersionError(undefined, { streamName, expected, current: current < 0n ? NO_STREAM : current });
    };
    if (expected === ANY || expected === STREAM_EXISTS) {
      if (expected === STREAM_EXISTS && current < 0n) wrong();
      // The server's check for these is its cache of recent ids: best effort, whole stream here.
      const first = this.streamRecords(streamName).findIndex((record) => record.id === ids[0]);
      const again = first >= 0 ? idempotent(BigInt(first)) : undefined;
      if (again) return again;
    } else {
      const expectedNumber = expected === NO_STREAM ? -1n : expected;
      if (expectedNumber < current) return idempotent(expectedNumber + 1n) ?? wrong();
      if (expectedNumber > current) wrong();
    }
    let last: FakeRecord | undefined;
    for (const event of events) {
      last = this.record(streamName, event.type, event.data as JSONType, event.metadata as JSONType | undefined, event.id.toLowerCase());
    }
    return { success: true, nextExpectedRevision: last!.revision, position: { commit: last!.position, prepare: last!.position } };
  }

  readStream(streamName: string, options: ReadStreamOptions): StreamingRead<ResolvedEvent> {
    const backwards = options.direction === BACKWARDS;
    const stream = this.streamRecords(streamName);
    if (stream.length === 0) return failingRead(new StreamNotFoundError(undefined, streamName));
    const from = options.fromRevision ?? (backwards ? END : START);
    const start = from === START ? 0n : from === END ? stream[stream.length - 1]!.revision : from;
    const selected = (backwards ? stream.filter((record) => record.revision <= start).reverse() : stream.filter((record) => record.revision >= start)).slice(
      0,
      Number(options.maxCount ?? Number.MAX_SAFE_INTEGER),
    );
    return read(selected.map((record) => ({ event: this.recorded(record, this.positionsOnStreamReads ? undefined : NO_POSITION) })));
  }

  readAll(options: ReadAllOptions): StreamingRead<AllStreamResolvedEvent> {
    this.allReads.push(options);
    const backwards = options.direction === BACKWARDS;
    const from = options.fromPosition ?? (backwards ? END : START);
    let selected: FakeRecord[];
    if (backwards) {
      selected = (from === END ? [...this.log] : this.log.filter((record) => record.position < (from as Position).commit)).reverse();
    } else {
      selected = from === START ? [...this.log] : this.log.filter((record) => record.position >= (from as Position).commit);
    }
    const count = Number(options.maxCount ?? Number.MAX_SAFE_INTEGER);
    return read(selected.slice(0, count).map((record) => ({ event: this.recorded(record), commitPosition: record.position })));
  }

  subscribeToAll(options: SubscribeToAllOptions): AllStreamSubscription {
    this.subscriptionsOpened += 1;
    const stream = new PassThrough({ objectMode: true });
    const filter = options.filter && 'regex' in options.filter ? new RegExp(options.filter.regex) : undefined;
    const from = options.fromPosition ?? START;
    const subscription: LiveSubscription = { stream, filter, after: from === START ? -1n : from === END ? this.nextPosition : from.commit };
    const live = this.live;
    const handle = Object.assign(stream, {
      id: `subscription-${this.subscriptionsOpened}`,
      async unsubscribe() {
        live.delete(subscription);
        stream.end();
      },
    });
    queueMicrotask(() => {
      if (stream.destroyed) return;
      if (this.refuseSubscriptions) {
        stream.destroy(this.refuseSubscriptions);
        return;
      }
      handle.emit('confirmation');
      for (const record of this.log) this.deliver(subscription, record);
      this.live.add(subscription);
    });
    return handle as unknown as AllStreamSubscription;
  }

  async dispose(): Promise<void> {
    for (const subscription of this.live) subscription.stream.end();
    this.live.clear();
  }

  streamRecords(streamId: string): FakeRecord[] {
    return this.log.filter((record) => record.streamId === streamId);
  }

  private lastRevision(streamId: string): bigint {
    const stream = this.streamRecords(streamId);
    return stream.length === 0 ? -1n : stream[stream.length - 1]!.revision;
  }

  private deliver(subscription: LiveSubscription, record: FakeRecord): void {
    if (record.position <= subscription.after) return;
    if (subscription.filter && !subscription.filter.test(record.type)) return;
    subscription.after = record.position;
    subscription.stream.write({ event: this.recorded(record), commitPosition: record.position });
  }

  private recorded(record: FakeRecord, position: Position = { commit: record.position, prepare: record.prepare ?? record.position }) {
    return {
      streamId: record.streamId,
      id: record.id,
      revision: record.revision,
      type: record.type,
      data: record.data,
      metadata: record.metadata,
      isJson: true as const,
      created: record.created,
      position,
    };
  }
}

function read<E>(items: E[]): StreamingRead<E> {
  return Object.assign(Readable.from(items, { objectMode: true }), { cancel: async () => undefined }) as unknown as StreamingRead<E>;
}

function failingRead<E>(error: Error): StreamingRead<E> {
  const stream = new Readable({
    objectMode: true,
    read() {
      this.destroy(error);
    },
  });
  return Object.assign(stream, { cancel: async () => undefined }) as unknown as StreamingRead<E>;
}
