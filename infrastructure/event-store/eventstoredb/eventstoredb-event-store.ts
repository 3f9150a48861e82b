import {
  ANY,
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  WrongExpectedVersionError,
  excludeSystemEvents,
  jsonEvent,
  type AllStreamResolvedEvent,
  type AppendExpectedRevision,
  type Position,
  type ResolvedEvent,
} from '@eventstore/db-client';
import {
  WrongExpectedRevisionError,
  type AllSubscription,
  type AppendResult,
  type EventMetadata,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeToAllOptions,
} from '../../../application/event-store/event-store.ts';
import { validateAppend } from '../../../application/event-store/validate-append.ts';
import { chainHash, GENESIS_HASH } from '../../../application/event-store/event-chain.ts';
import type { EventStoreDbClient } from './eventstoredb-client.ts';

/** Where an event's chain hash lives in EventStoreDB: a metadata key the application never uses. */
const HASH_KEY = '$hash';

/**
 * The event store of record in production: EventStoreDB (KurrentDB) over gRPC.
 * Global positions are the commit positions of `$all`; system events (`$`-types) are hidden.
 */
export class EventStoreDbEventStore implements EventStore {
  private readonly subscriptions = new Set<AllSubscription>();

  constructor(private readonly client: EventStoreDbClient) {}

  static connect(connectionString: string): EventStoreDbEventStore {
    return new EventStoreDbEventStore(EventStoreDBClient.connectionString(connectionString));
  }

  /**
   * Appends with the hash chain (application/event-store/event-chain.ts): the stream's last
   * event is read, the new events' hashes computed from it and stored in their metadata
   * (`$hash`), and the append made against exactly that revision so no other writer can slip in
   * between; when the caller allowed any revision, a lost race is retried from the new last event.
   */
  async append(streamId: string, events: readonly EventToAppend[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    validateAppend(streamId, events);
    for (let attempt = 0; ; attempt += 1) {
      const recent = await this.readStream(streamId, { direction: 'backwards', maxCount: events.length });
      const last = recent[0];
      const actual = last ? last.revision : 'no_stream';
      const flexible = expectedRevision === 'any' || (expectedRevision === 'stream_exists' && last !== undefined);
      if (flexible && recent.some((event) => event.id === events[0]!.id)) {
        // The same events, appended before: nothing to write (EventStoreDB's idempotence, made explicit).
        const found = recent.find((event) => event.id === events[events.length - 1]!.id) ?? last!;
        return { nextExpectedRevision: found.revision, position: found.position, alreadyWritten: true };
      }
      let previous = last?.hash ?? GENESIS_HASH;
      const chained = events.map((event) => {
        previous = chainHash(previous, event);
        return jsonEvent({ id: event.id, type: event.type, data: event.data as never, metadata: { ...event.metadata, [HASH_KEY]: previous } as never });
      });
      const expected = flexible ? (actual === 'no_stream' ? NO_STREAM : actual) : toEsdbExpected(expectedRevision);
      try {
        const result = await this.client.appendToStream(streamId, chained, { expectedRevision: expected });
        if (!result.position) throw new Error(`append to ${streamId} returned no position`);
        return { nextExpectedRevision: result.nextExpectedRevision, position: result.position.commit };
      } catch (error) {
        if (error instanceof WrongExpectedVersionError) {
          if (flexible && attempt < 10) continue;
          const found = error.actualVersion === NO_STREAM ? 'no_stream' : error.actualVersion;
          throw new WrongExpectedRevisionError(streamId, expectedRevision, found);
        }
        throw error;
      }
    }
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    const events: RecordedEvent[] = [];
    try {
      const read = this.client.readStream(streamId, {
        direction: backwards ? BACKWARDS : FORWARDS,
        fromRevision: options.fromRevision ?? (backwards ? END : START),
        ...(options.maxCount === undefined ? {} : { maxCount: BigInt(options.maxCount) }),
      });
      for await (const resolved of read) {
        const event = toRecordedEvent(resolved);
        if (event) events.push(event);
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const maxCount = options.maxCount ?? 4096;
    const events: RecordedEvent[] = [];
    // $all reads are inclusive of their start, and system events count against maxCount,
    // so read in pages until enough user events are found or the log ends.
    let from: Position | typeof START = options.after === undefined ? START : { commit: options.after, prepare: options.after };
    for (;;) {
      let seen = 0;
      let last: Position | undefined;
      for await (const resolved of this.client.readAll({ fromPosition: from, maxCount: BigInt(maxCount + 1), direction: FORWARDS })) {
        seen += 1;
        last = resolved.event?.position ?? last;
        const event = toRecordedEvent(resolved);
        if (!event || (options.after !== undefined && event.position <= options.after)) continue;
        events.push(event);
        if (events.length === maxCount) return events;
      }
      if (seen < maxCount + 1 || !last) return events;
      from = last;
    }
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): AllSubscription {
    const subscription = this.client.subscribeToAll({
      fromPosition: options.after === undefined ? START : { commit: options.after, prepare: options.after },
      filter: excludeSystemEvents(),
    });
    const subscriptions = this.subscriptions;
    const wrapped: AllSubscription = {
      async *[Symbol.asyncIterator]() {
        for await (const resolved of subscription) {
          const event = toRecordedEvent(resolved);
          if (event) yield event;
        }
      },
      async close() {
        subscriptions.delete(wrapped);
        await subscription.unsubscribe();
      },
    };
    subscriptions.add(wrapped);
    return wrapped;
  }

  async headPosition(): Promise<bigint> {
    for await (const resolved of this.client.readAll({ fromPosition: END, direction: BACKWARDS, maxCount: 64n })) {
      const event = toRecordedEvent(resolved);
      if (event) return event.position;
    }
    return 0n;
  }

  async ping(): Promise<boolean> {
    try {
      for await (const _ of this.client.readAll({ fromPosition: END, direction: BACKWARDS, maxCount: 1n })) break;
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    await this.client.dispose();
  }
}

function toEsdbExpected(expected: ExpectedRevision): AppendExpectedRevision {
  switch (expected) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    default:
      return expected;
  }
}

function toRecordedEvent(resolved: ResolvedEvent | AllStreamResolvedEvent): RecordedEvent | undefined {
  const event = resolved.event;
  if (!event || event.type.startsWith('$') || event.streamId.startsWith('$') || !event.isJson) return undefined;
  const position = event.position?.commit ?? resolved.commitPosition;
  if (position === undefined) return undefined;
  const { [HASH_KEY]: hash, ...withoutHash } = event.metadata as unknown as EventMetadata & { [HASH_KEY]?: unknown };
  return {
    streamId: event.streamId,
    revision: event.revision,
    position,
    id: event.id,
    type: event.type,
    data: event.data,
    metadata: withoutHash,
    recordedAt: event.created,
    hash: typeof hash === 'string' ? hash : '',
  };
}
