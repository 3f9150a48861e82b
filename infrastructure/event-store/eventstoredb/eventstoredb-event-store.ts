import {
  ANY,
  BACKWARDS,
  END,
  EventStoreDBClient,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  WrongExpectedVersionError,
  excludeSystemEvents,
  jsonEvent,
  type AppendExpectedRevision,
} from '@eventstore/db-client';
import {
  WrongExpectedRevisionError,
  type AllSubscription,
  type AppendResult,
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
import { newestUserEventPosition, readAllInPages } from './all-log-pages.ts';
import type { EventStoreDbClient } from './eventstoredb-client.ts';
import { HASH_KEY, readStreamRecords, toPosition, toRecordedEvent } from './eventstoredb-records.ts';

export interface EventStoreDbOptions {
  /** Records asked for per read of `$all`; system records count against it. */
  readonly readPageSize?: number;
}

const DEFAULT_READ_COUNT = 4096;

/**
 * The event store of record in production: EventStoreDB (KurrentDB) over gRPC, 22.6 or later.
 * Global positions are the commit positions of `$all`; system records are hidden.
 */
export class EventStoreDbEventStore implements EventStore {
  private readonly subscriptions = new Set<AllSubscription>();
  private readonly pageSize: number;

  constructor(
    private readonly client: EventStoreDbClient,
    options: EventStoreDbOptions = {},
  ) {
    this.pageSize = options.readPageSize ?? 1024;
    if (!Number.isInteger(this.pageSize) || this.pageSize < 1) throw new RangeError(`readPageSize must be a whole number from 1, not ${this.pageSize}`);
  }

  static connect(connectionString: string, options: EventStoreDbOptions = {}): EventStoreDbEventStore {
    return new EventStoreDbEventStore(EventStoreDBClient.connectionString(connectionString), options);
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
    const records = await readStreamRecords(this.client, streamId, options);
    return records.map(toRecordedEvent).filter((event): event is RecordedEvent => event !== undefined);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    return readAllInPages(this.client, { after: options.after, maxCount: options.maxCount ?? DEFAULT_READ_COUNT, pageSize: this.pageSize });
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): AllSubscription {
    const subscription = this.client.subscribeToAll({
      fromPosition: options.after === undefined ? START : toPosition(options.after),
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
    return newestUserEventPosition(this.client, this.pageSize);
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
